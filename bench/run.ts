// `npm run bench`: the gateway's /v1/chat/completions (JSON and SSE) against a node:http server that
// replays the gateway's own answers, plus gRPC RunStream, and the daemon's peak RSS; then the
// OpenAI-compatible provider path: the gateway in front of a fake OpenAI upstream against calling
// that upstream directly, and against a minimal pass-through proxy in front of it.
// Everything listens on and talks to 127.0.0.1 only. See bench/README.md.
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { type BaselineProcess, startBaseline } from "./baseline-process.js";
import { measureBudgetAdmission } from "./budget-admission.js";
import { captureResponse, type CapturedResponse } from "./capture.js";
import { type DaemonProcess, DaemonStartError, describeExit, startDaemon } from "./daemon-process.js";
import { jsonAnswerProblem, replyText, replyUsage, sseAnswerProblem, upstreamApiKey, upstreamModel } from "./fake-reply.js";
import { gatewayClient, runStreamOnce } from "./grpc-load.js";
import {
  type AnswerCheck,
  type ErrorTally,
  httpPost,
  type HttpTarget,
  type HttpTiming,
  keepAliveAgent,
  type Operation,
  runSaturated,
  runSequential,
  type SaturationResult,
  type Timing,
} from "./load.js";
import { type BenchResults, type ComparedLatency, formatTable, type ThroughputEntry, writeResults } from "./report.js";
import type { ServerProcess } from "./server-process.js";
import { round, roundSummary, type Summary, summarize } from "./stats.js";
import { type FakeUpstreamProcess, type FakeUpstreamStats, startFakeUpstream, startPassthroughProxy } from "./upstream-processes.js";

const adminToken = "bench-token";
const model = "palyra-echo";
/** The gateway model served by the openai_compatible provider in front of the fake upstream. */
const fakeModel = "fake-gpt";
const fakeProviderId = "fake-openai";
const prompt = "Say hello to the benchmark in a few words.";
const resultsPath = fileURLToPath(new URL("./results/latest.json", import.meta.url));

class BenchError extends Error {}

function positiveNumberFromEnv(name: string, fallback: number, integer: boolean): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new BenchError(`${name} must be a positive ${integer ? "integer" : "number"}, got ${JSON.stringify(text)}`);
  }
  return value;
}

function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

function splitHostPort(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(":");
  const host = address.slice(0, colon).replace(/^\[|\]$/g, "");
  const port = Number(address.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(port)) throw new BenchError(`the daemon reported an address that is not host:port: ${address}`);
  if (host !== "127.0.0.1" && host !== "::1" && !host.startsWith("127.")) {
    throw new BenchError(`the daemon listens on ${address}, which is not loopback; the bench only talks to loopback`);
  }
  return { host, port };
}

/**
 * The daemon's palyra.toml: the deterministic provider and `palyra-echo` exactly as the daemon embeds
 * them when it has no config (the deterministic phases measure the same thing as before), plus an
 * openai_compatible provider in front of the fake upstream and the `fake-gpt` model on it. Loopback
 * is a special address range, so the provider opts in with allow_private_base_url (DESIGN.md §7).
 */
function daemonConfig(upstreamPort: number): string {
  return `version = 1

[model_provider]
default_chat_model_id = "${model}"

[[model_provider.providers]]
provider_id = "local"
kind = "deterministic"

[[model_provider.providers]]
provider_id = "${fakeProviderId}"
kind = "openai_compatible"
base_url = "http://127.0.0.1:${upstreamPort}/v1"
api_key = "${upstreamApiKey}"
allow_private_base_url = true

[[model_provider.models]]
model_id = "${model}"
provider_id = "local"
tool_calls = true
json_mode = true
vision = true
cost_tier = 0
latency_tier = 0

[[model_provider.models]]
model_id = "${fakeModel}"
provider_id = "${fakeProviderId}"
upstream_model = "${upstreamModel}"

# Budgets stay on (DESIGN.md §6): every run is admitted and settled against these, with limits no
# bench run reaches.
[[usage.budgets]]
policy_id = "bench-tokens"
scope_kind = "global"
metric_kind = "tokens"
interval_kind = "monthly"
hard_limit_value = 1e15

[[usage.budgets]]
policy_id = "bench-usd"
scope_kind = "global"
metric_kind = "usd_cost"
interval_kind = "daily"
soft_limit_value = 1e8
hard_limit_value = 1e9
`;
}

function compare(gateway: Summary, baseline: Summary): ComparedLatency {
  return {
    gateway: roundSummary(gateway),
    baseline: roundSummary(baseline),
    addedMs: { p50: round(gateway.p50 - baseline.p50), p99: round(gateway.p99 - baseline.p99), mean: round(gateway.mean - baseline.mean) },
  };
}

function throughputEntry(result: SaturationResult<Timing>): ThroughputEntry {
  return {
    concurrency: result.concurrency,
    seconds: round(result.elapsedSeconds),
    completed: result.completed,
    errors: result.errors.count,
    requestsPerSecond: round(result.requestsPerSecond, 1),
    latency: roundSummary(summarize(result.samples.map((sample) => sample.totalMs))),
  };
}

function checkCapturedJson(captured: CapturedResponse, raw: string): void {
  const problem = (what: string) => new BenchError(`the gateway's chat completion is not usable as a baseline: ${what}\n  body: ${raw.slice(0, 500)}`);
  if (captured.status !== 200) throw problem(`status ${captured.status}`);
  if (!(captured.headers["content-type"] ?? "").startsWith("application/json")) throw problem(`content-type ${captured.headers["content-type"]}`);
  let content: unknown;
  try {
    content = (JSON.parse(raw) as { choices?: { message?: { content?: unknown } }[] }).choices?.[0]?.message?.content;
  } catch {
    throw problem("the body is not JSON");
  }
  if (typeof content !== "string" || content.length === 0) throw problem("no choices[0].message.content");
}

function checkCapturedStream(captured: CapturedResponse, raw: string): void {
  const problem = (what: string) => new BenchError(`the gateway's streamed chat completion is not usable as a baseline: ${what}\n  body: ${raw.slice(0, 800)}`);
  if (captured.status !== 200) throw problem(`status ${captured.status}`);
  if (!(captured.headers["content-type"] ?? "").startsWith("text/event-stream")) throw problem(`content-type ${captured.headers["content-type"]}`);
  if (captured.chunks.length < 2) throw problem(`only ${captured.chunks.length} SSE frame(s)`);
  if (captured.chunks.at(-1) !== "data: [DONE]\n\n") throw problem("the stream does not end with data: [DONE]");
  if (captured.chunks.some((frame) => frame.includes('"error"'))) throw problem("the stream carries an error frame");
}

/**
 * One request on the OpenAI-compatible path before any load: the answer must be the fake upstream's
 * reply, passed on unchanged. A failure through the gateway carries the daemon's recent output.
 */
async function checkFakePath(
  name: string,
  target: Omit<HttpTarget, "body">,
  body: string,
  expect: { status: number; contentType: string; check: AnswerCheck },
  daemon?: DaemonProcess,
): Promise<void> {
  const { response, raw } = await captureResponse(target, body);
  const contentType = response.headers["content-type"] ?? "";
  const problem =
    response.status !== expect.status
      ? `status ${response.status}`
      : !contentType.startsWith(expect.contentType)
        ? `content-type ${JSON.stringify(contentType)}, expected ${expect.contentType}`
        : expect.check(raw);
  if (problem === undefined) return;
  const output = daemon === undefined ? "" : `\n  daemon output (last lines):\n${daemon.recentOutput()}`;
  throw new BenchError(`${name} answered wrongly: ${problem}\n  request: POST ${target.path} ${body}\n  body: ${raw.slice(0, 1500)}${output}`);
}

async function main(): Promise<number> {
  const config = {
    requests: positiveNumberFromEnv("BENCH_REQUESTS", 2000, true),
    warmupRequests: positiveNumberFromEnv("BENCH_WARMUP", 300, true),
    seconds: positiveNumberFromEnv("BENCH_SECONDS", 5, false),
    warmupSeconds: 1,
    concurrency: positiveNumberFromEnv("BENCH_CONCURRENCY", 32, true),
    budgetAdmissions: positiveNumberFromEnv("BENCH_BUDGET_ADMISSIONS", 2000, true),
    budgetLedgerRows: positiveNumberFromEnv("BENCH_BUDGET_LEDGER_ROWS", 1_000_000, true),
    model,
    prompt,
  };
  const errors: ErrorTally = { count: 0, examples: [] };
  const absorb = (tally: ErrorTally) => {
    errors.count += tally.count;
    for (const example of tally.examples) if (errors.examples.length < 10 && !errors.examples.includes(example)) errors.examples.push(example);
  };
  const warnings: string[] = [];

  progress("starting the fake OpenAI upstream and the pass-through proxy (loopback, port 0)");
  let fake: FakeUpstreamProcess | undefined;
  let proxy: ServerProcess | undefined;
  let baseline: BaselineProcess | undefined;
  let daemon: DaemonProcess | undefined;
  let daemonExit: string | undefined;
  try {
    fake = await startFakeUpstream();
    proxy = await startPassthroughProxy(fake.port);
    progress(`fake upstream pid ${fake.pid}: http 127.0.0.1:${fake.port}; pass-through proxy pid ${proxy.pid}: http 127.0.0.1:${proxy.port}`);

    progress("starting the daemon (node bin/palyra.js daemon --config <state-dir>/palyra.toml, loopback, port 0)");
    try {
      daemon = await startDaemon({ adminToken, logLevel: "warn", configToml: daemonConfig(fake.port) });
    } catch (error) {
      if (error instanceof DaemonStartError) throw new BenchError(`the daemon failed to start: ${error.message}`);
      throw error;
    }
    progress(`daemon pid ${daemon.pid}: http ${daemon.http}, grpc ${daemon.grpc} (ready via ${daemon.readySignal})`);

    const http = splitHostPort(daemon.http);
    splitHostPort(daemon.grpc);
    const headers = { "content-type": "application/json", authorization: `Bearer ${adminToken}` };
    const messages = [{ role: "user", content: prompt }];
    const jsonBody = JSON.stringify({ model, messages });
    const sseBody = JSON.stringify({ model, messages, stream: true });
    const path = "/v1/chat/completions";

    // The OpenAI-compatible path: the gateway (model fake-gpt) and the fake upstream directly, which
    // gets what the gateway sends it: the upstream model name and stream_options.include_usage.
    const upstreamHeaders = { "content-type": "application/json", authorization: `Bearer ${upstreamApiKey}` };
    const fakeJsonBody = JSON.stringify({ model: fakeModel, messages });
    const fakeSseBody = JSON.stringify({ model: fakeModel, messages, stream: true, stream_options: { include_usage: true } });
    const directJsonBody = JSON.stringify({ model: upstreamModel, messages, stream: false });
    const directSseBody = JSON.stringify({ model: upstreamModel, messages, stream: true, stream_options: { include_usage: true } });
    const checks = {
      gatewayJson: (body: string) => jsonAnswerProblem(body, fakeModel),
      gatewaySse: (body: string) => sseAnswerProblem(body, fakeModel),
      directJson: (body: string) => jsonAnswerProblem(body, upstreamModel),
      directSse: (body: string) => sseAnswerProblem(body, upstreamModel),
    };
    const fakeTarget = { host: "127.0.0.1", port: fake.port, path, headers: upstreamHeaders };
    const proxyTarget = { host: "127.0.0.1", port: proxy.port, path, headers: upstreamHeaders };
    const json = { status: 200, contentType: "application/json" };
    const sse = { status: 200, contentType: "text/event-stream" };
    await checkFakePath("the fake upstream (JSON)", fakeTarget, directJsonBody, { ...json, check: checks.directJson });
    await checkFakePath("the fake upstream (SSE)", fakeTarget, directSseBody, { ...sse, check: checks.directSse });
    await checkFakePath("the pass-through proxy (JSON)", proxyTarget, directJsonBody, { ...json, check: checks.directJson });
    await checkFakePath(`the gateway with model ${fakeModel} (JSON)`, { ...http, path, headers }, fakeJsonBody, { ...json, check: checks.gatewayJson }, daemon);
    await checkFakePath(`the gateway with model ${fakeModel} (SSE)`, { ...http, path, headers }, fakeSseBody, { ...sse, check: checks.gatewaySse }, daemon);
    // Every gateway request to fake-gpt must cost exactly one upstream call (no retries, no cache).
    const calls = { gatewayToFake: 1 + 1, directStreamed: 1, directJson: 1, proxy: 1 };
    const counted =
      <T extends Timing>(key: keyof typeof calls, operation: Operation<T>): Operation<T> =>
      () => {
        calls[key]++;
        return operation();
      };

    const capturedJson = await captureResponse({ ...http, path, headers }, jsonBody);
    checkCapturedJson(capturedJson.response, capturedJson.raw);
    const capturedSse = await captureResponse({ ...http, path, headers }, sseBody);
    checkCapturedStream(capturedSse.response, capturedSse.raw);

    baseline = await startBaseline(capturedJson.response, capturedSse.response);
    progress(`baseline pid ${baseline.pid}: http 127.0.0.1:${baseline.port}`);
    const targets = {
      gateway: (body: string): HttpTarget => ({ ...http, path, headers, body }),
      baseline: (body: string): HttpTarget => ({ host: "127.0.0.1", port: baseline?.port ?? 0, path, headers, body }),
    };

    // (a) latency at concurrency 1, (b) throughput at saturation: baseline then gateway, each with its own pool.
    const sequential = async (name: string, target: HttpTarget, expectSse = false, check?: AnswerCheck, count?: keyof typeof calls) => {
      progress(`${name}: ${config.warmupRequests} + ${config.requests} requests at concurrency 1`);
      const agent = keepAliveAgent(1);
      try {
        const post = httpPost(agent, target, expectSse, check);
        const result = await runSequential(count === undefined ? post : counted(count, post), config.warmupRequests, config.requests);
        absorb(result.errors);
        return result.samples;
      } finally {
        agent.destroy();
      }
    };
    const saturated = async (name: string, target: HttpTarget, check?: AnswerCheck, count?: keyof typeof calls) => {
      progress(`${name}: ${config.warmupSeconds} s + ${config.seconds} s at concurrency ${config.concurrency}`);
      const agent = keepAliveAgent(config.concurrency);
      try {
        const post = httpPost(agent, target, false, check);
        const result = await runSaturated(count === undefined ? post : counted(count, post), config.concurrency, config.seconds, config.warmupSeconds);
        absorb(result.errors);
        return result;
      } finally {
        agent.destroy();
      }
    };

    // The daemon's resident memory after each of its phases, to tell a peak under load from growth.
    const watched = daemon;
    const rssTrail: { after: string; rssBytes: number | null }[] = [{ after: "start-up and capture", rssBytes: watched.rssBytes() ?? null }];
    const noteRss = (after: string) => rssTrail.push({ after, rssBytes: watched.rssBytes() ?? null });

    const chatBaseline = await sequential("chat baseline", targets.baseline(jsonBody));
    const chatGateway = await sequential("chat gateway", targets.gateway(jsonBody));
    noteRss("chat, concurrency 1");
    const chatBaselineLoad = await saturated("chat baseline", targets.baseline(jsonBody));
    const chatGatewayLoad = await saturated("chat gateway", targets.gateway(jsonBody));
    noteRss(`chat, concurrency ${config.concurrency}`);

    const streamBaseline = await sequential("stream baseline", targets.baseline(sseBody), true);
    const streamGateway = await sequential("stream gateway", targets.gateway(sseBody), true);
    noteRss("stream, concurrency 1");

    const client = gatewayClient(daemon.grpc);
    const run = runStreamOnce(client, adminToken, model, prompt);
    progress(`grpc RunStream: ${config.warmupRequests} + ${config.requests} runs at concurrency 1`);
    const grpcSequential = await runSequential(run, config.warmupRequests, config.requests);
    absorb(grpcSequential.errors);
    noteRss("RunStream, concurrency 1");
    progress(`grpc RunStream: ${config.warmupSeconds} s + ${config.seconds} s at concurrency ${config.concurrency}`);
    const grpcSaturated = await runSaturated(run, config.concurrency, config.seconds, config.warmupSeconds);
    absorb(grpcSaturated.errors);
    noteRss(`RunStream, concurrency ${config.concurrency}`);

    // The OpenAI-compatible provider path, each phase reference first, as above.
    const fakeTargets = {
      gateway: (body: string): HttpTarget => ({ ...http, path, headers, body }),
      direct: (body: string): HttpTarget => ({ ...fakeTarget, body }),
      proxy: (body: string): HttpTarget => ({ ...proxyTarget, body }),
    };
    const fakeChatDirect = await sequential("fake upstream direct, JSON", fakeTargets.direct(directJsonBody), false, checks.directJson, "directJson");
    const fakeChatGateway = await sequential(`${fakeModel} gateway, JSON`, fakeTargets.gateway(fakeJsonBody), false, checks.gatewayJson, "gatewayToFake");
    noteRss(`${fakeModel} JSON, concurrency 1`);
    const fakeChatProxyLoad = await saturated("pass-through proxy, JSON", fakeTargets.proxy(directJsonBody), checks.directJson, "proxy");
    const fakeChatGatewayLoad = await saturated(`${fakeModel} gateway, JSON`, fakeTargets.gateway(fakeJsonBody), checks.gatewayJson, "gatewayToFake");
    noteRss(`${fakeModel} JSON, concurrency ${config.concurrency}`);
    const fakeStreamDirect = await sequential("fake upstream direct, stream", fakeTargets.direct(directSseBody), true, checks.directSse, "directStreamed");
    const fakeStreamGateway = await sequential(`${fakeModel} gateway, stream`, fakeTargets.gateway(fakeSseBody), true, checks.gatewaySse, "gatewayToFake");
    noteRss(`${fakeModel} stream, concurrency 1`);

    const upstreamSeen: FakeUpstreamStats = await fake.stats();
    const upstreamCalls = {
      expected: { streamed: calls.gatewayToFake + calls.directStreamed, json: calls.directJson + calls.proxy },
      seen: { streamed: upstreamSeen.chatStreamed, json: upstreamSeen.chatJson, rejected: upstreamSeen.rejected },
    };
    if (upstreamCalls.seen.streamed !== upstreamCalls.expected.streamed || upstreamCalls.seen.json !== upstreamCalls.expected.json || upstreamCalls.seen.rejected !== 0) {
      warnings.push(
        `the fake upstream answered ${upstreamCalls.seen.streamed} streamed and ${upstreamCalls.seen.json} JSON chat completion(s) ` +
          `(and rejected ${upstreamCalls.seen.rejected}), but the bench sent ${upstreamCalls.expected.streamed} and ${upstreamCalls.expected.json}: ` +
          `every request to ${fakeModel} should cost exactly one streamed upstream call`,
      );
    }

    const daemonPeakRss = daemon.peakRssBytes() ?? null;
    const baselinePeakRss = baseline.peakRssBytes() ?? null;
    const fakePeakRss = fake.peakRssBytes() ?? null;
    const proxyPeakRss = proxy.peakRssBytes() ?? null;
    progress("stopping the daemon (SIGTERM), the baseline, the proxy and the fake upstream");
    await baseline.stop();
    baseline = undefined;
    const exit = await daemon.stop();
    await proxy.stop();
    await fake.stop();
    daemonExit = describeExit(exit);
    if (exit.code !== 0) warnings.push(`the daemon did not exit cleanly on SIGTERM (${daemonExit})\n${daemon.recentOutput()}`);
    if (!daemon.readyLineSeen()) {
      warnings.push(
        'the daemon never printed its {"msg":"ready"} line on stdout (with PALYRA__DAEMON__LOG_LEVEL=warn); ' +
          "readiness was taken from <state-dir>/daemon.json instead",
      );
    }
    const logLines = daemon.logCounts();
    const loud = (logLines.error ?? 0) + (logLines.fatal ?? 0);
    if (loud > 0) warnings.push(`the daemon logged ${loud} error/fatal line(s) during the run\n${daemon.recentOutput()}`);

    // Standalone, with the daemon stopped: budget admission over a ledger of 10 runs and of a million.
    const budgetAdmission = await measureBudgetAdmission({
      ledgerRows: [10, config.budgetLedgerRows],
      admissions: config.budgetAdmissions,
      warmup: Math.min(500, config.budgetAdmissions),
      progress,
    });

    const totals = (samples: Timing[]) => summarize(samples.map((sample) => sample.totalMs));
    const firstData = (samples: HttpTiming[]) => summarize(samples.map((sample) => sample.firstDataMs));
    const meanBytes = (samples: HttpTiming[]) => round(samples.reduce((total, sample) => total + sample.bytes, 0) / Math.max(1, samples.length), 1);
    const chatThroughputGateway = throughputEntry(chatGatewayLoad);
    const chatThroughputBaseline = throughputEntry(chatBaselineLoad);
    const fakeThroughputGateway = throughputEntry(fakeChatGatewayLoad);
    const fakeThroughputProxy = throughputEntry(fakeChatProxyLoad);

    const results: BenchResults = {
      timestamp: new Date().toISOString(),
      environment: {
        node: process.version,
        platform: process.platform,
        arch: process.arch,
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model.trim() ?? "unknown",
        loadAverage: loadavg().map((value) => round(value, 2)),
      },
      config: { ...config, openaiModel: fakeModel },
      daemon: {
        command: "node bin/palyra.js daemon --state-dir <tmp> --grpc-bind 127.0.0.1:0 --http-bind 127.0.0.1:0 --config <tmp>/palyra.toml",
        config: daemonConfig(fake.port).replace(`api_key = "${upstreamApiKey}"`, 'api_key = "<redacted>"'),
        readySignal: daemon.readySignal,
        readyLineSeen: daemon.readyLineSeen(),
        peakRssBytes: daemonPeakRss,
        rssAfterPhase: rssTrail,
        exit: daemonExit,
        logLines,
      },
      baseline: {
        peakRssBytes: baselinePeakRss,
        replayedJsonBytes: Buffer.byteLength(capturedJson.raw),
        replayedSseFrames: capturedSse.response.chunks.length,
      },
      chat: {
        latency: compare(totals(chatGateway), totals(chatBaseline)),
        bytesPerResponse: { gateway: meanBytes(chatGateway), baseline: meanBytes(chatBaseline) },
        throughput: {
          gateway: chatThroughputGateway,
          baseline: chatThroughputBaseline,
          ratio: round(chatGatewayLoad.requestsPerSecond / chatBaselineLoad.requestsPerSecond, 4),
        },
      },
      stream: {
        firstData: compare(firstData(streamGateway), firstData(streamBaseline)),
        total: compare(totals(streamGateway), totals(streamBaseline)),
        bytesPerResponse: { gateway: meanBytes(streamGateway), baseline: meanBytes(streamBaseline) },
      },
      grpcRunStream: {
        latency: roundSummary(totals(grpcSequential.samples)),
        firstDelta: roundSummary(summarize(grpcSequential.samples.map((sample) => sample.firstDeltaMs))),
        throughput: throughputEntry(grpcSaturated),
      },
      openaiCompatible: {
        model: fakeModel,
        provider: { providerId: fakeProviderId, kind: "openai_compatible", upstreamModel },
        fakeUpstream: { peakRssBytes: fakePeakRss, reply: replyText, usage: replyUsage },
        proxy: { peakRssBytes: proxyPeakRss },
        chat: {
          latency: compare(totals(fakeChatGateway), totals(fakeChatDirect)),
          bytesPerResponse: { gateway: meanBytes(fakeChatGateway), baseline: meanBytes(fakeChatDirect) },
          throughput: {
            gateway: fakeThroughputGateway,
            baseline: fakeThroughputProxy,
            ratio: round(fakeChatGatewayLoad.requestsPerSecond / fakeChatProxyLoad.requestsPerSecond, 4),
          },
        },
        stream: {
          firstData: compare(firstData(fakeStreamGateway), firstData(fakeStreamDirect)),
          total: compare(totals(fakeStreamGateway), totals(fakeStreamDirect)),
          bytesPerResponse: { gateway: meanBytes(fakeStreamGateway), baseline: meanBytes(fakeStreamDirect) },
        },
        upstreamCalls,
      },
      budgetAdmission,
      errors: { total: errors.count, examples: errors.examples },
      warnings,
    };

    process.stdout.write(`\n${formatTable(results)}\n\n`);
    writeResults(resultsPath, results);
    progress(`wrote ${resultsPath}`);
    if (errors.count > 0) {
      process.stderr.write(`bench: ${errors.count} request(s) failed; the numbers above are not trustworthy\n`);
      return 1;
    }
    if (daemonExit !== "exit code 0") {
      process.stderr.write(`bench: the daemon did not stop cleanly (${daemonExit})\n`);
      return 1;
    }
    return 0;
  } finally {
    await baseline?.stop();
    if (daemon !== undefined && daemonExit === undefined) await daemon.stop();
    await proxy?.stop();
    await fake?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof BenchError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
