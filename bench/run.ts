// `npm run bench`: the gateway's /v1/chat/completions (JSON and SSE) against a node:http server that
// replays the gateway's own answers, plus gRPC RunStream, and the daemon's peak RSS.
// Everything listens on and talks to 127.0.0.1 only. See bench/README.md.
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { type BaselineProcess, startBaseline } from "./baseline-process.js";
import { captureResponse, type CapturedResponse } from "./capture.js";
import { type DaemonProcess, DaemonStartError, describeExit, startDaemon } from "./daemon-process.js";
import { gatewayClient, runStreamOnce } from "./grpc-load.js";
import { type ErrorTally, httpPost, type HttpTarget, type HttpTiming, keepAliveAgent, runSaturated, runSequential, type SaturationResult, type Timing } from "./load.js";
import { type BenchResults, type ComparedLatency, formatTable, type ThroughputEntry, writeResults } from "./report.js";
import { round, roundSummary, type Summary, summarize } from "./stats.js";

const adminToken = "bench-token";
const model = "palyra-echo";
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

async function main(): Promise<number> {
  const config = {
    requests: positiveNumberFromEnv("BENCH_REQUESTS", 2000, true),
    warmupRequests: positiveNumberFromEnv("BENCH_WARMUP", 300, true),
    seconds: positiveNumberFromEnv("BENCH_SECONDS", 5, false),
    warmupSeconds: 1,
    concurrency: positiveNumberFromEnv("BENCH_CONCURRENCY", 32, true),
    model,
    prompt,
  };
  const errors: ErrorTally = { count: 0, examples: [] };
  const absorb = (tally: ErrorTally) => {
    errors.count += tally.count;
    for (const example of tally.examples) if (errors.examples.length < 10 && !errors.examples.includes(example)) errors.examples.push(example);
  };
  const warnings: string[] = [];

  progress("starting the daemon (node bin/palyra.js daemon, loopback, port 0)");
  let daemon: DaemonProcess;
  try {
    daemon = await startDaemon({ adminToken, logLevel: "warn" });
  } catch (error) {
    if (error instanceof DaemonStartError) throw new BenchError(`the daemon failed to start: ${error.message}`);
    throw error;
  }
  progress(`daemon pid ${daemon.pid}: http ${daemon.http}, grpc ${daemon.grpc} (ready via ${daemon.readySignal})`);

  let baseline: BaselineProcess | undefined;
  let daemonExit: string | undefined;
  try {
    const http = splitHostPort(daemon.http);
    splitHostPort(daemon.grpc);
    const headers = { "content-type": "application/json", authorization: `Bearer ${adminToken}` };
    const messages = [{ role: "user", content: prompt }];
    const jsonBody = JSON.stringify({ model, messages });
    const sseBody = JSON.stringify({ model, messages, stream: true });
    const path = "/v1/chat/completions";

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
    const sequential = async (name: string, target: HttpTarget, expectSse = false) => {
      progress(`${name}: ${config.warmupRequests} + ${config.requests} requests at concurrency 1`);
      const agent = keepAliveAgent(1);
      try {
        const result = await runSequential(httpPost(agent, target, expectSse), config.warmupRequests, config.requests);
        absorb(result.errors);
        return result.samples;
      } finally {
        agent.destroy();
      }
    };
    const saturated = async (name: string, target: HttpTarget) => {
      progress(`${name}: ${config.warmupSeconds} s + ${config.seconds} s at concurrency ${config.concurrency}`);
      const agent = keepAliveAgent(config.concurrency);
      try {
        const result = await runSaturated(httpPost(agent, target), config.concurrency, config.seconds, config.warmupSeconds);
        absorb(result.errors);
        return result;
      } finally {
        agent.destroy();
      }
    };

    // The daemon's resident memory after each of its phases, to tell a peak under load from growth.
    const rssTrail: { after: string; rssBytes: number | null }[] = [{ after: "start-up and capture", rssBytes: daemon.rssBytes() ?? null }];
    const noteRss = (after: string) => rssTrail.push({ after, rssBytes: daemon.rssBytes() ?? null });

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

    const daemonPeakRss = daemon.peakRssBytes() ?? null;
    const baselinePeakRss = baseline.peakRssBytes() ?? null;
    progress("stopping the daemon (SIGTERM) and the baseline");
    await baseline.stop();
    baseline = undefined;
    const exit = await daemon.stop();
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

    const totals = (samples: Timing[]) => summarize(samples.map((sample) => sample.totalMs));
    const firstData = (samples: HttpTiming[]) => summarize(samples.map((sample) => sample.firstDataMs));
    const meanBytes = (samples: HttpTiming[]) => round(samples.reduce((total, sample) => total + sample.bytes, 0) / Math.max(1, samples.length), 1);
    const chatThroughputGateway = throughputEntry(chatGatewayLoad);
    const chatThroughputBaseline = throughputEntry(chatBaselineLoad);

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
      config,
      daemon: {
        command: "node bin/palyra.js daemon --state-dir <tmp> --grpc-bind 127.0.0.1:0 --http-bind 127.0.0.1:0",
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
    if (daemonExit === undefined) await daemon.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof BenchError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
