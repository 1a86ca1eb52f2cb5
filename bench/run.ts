// `npm run bench [-- --smoke] [-- --profile]`: the gateway in front of a fake OpenAI upstream against
// calling that upstream directly and against a bare node:http pass-through proxy (JSON and SSE, at
// concurrency 1 and at saturation); gRPC RunStream; RSS under a soak; start-up and CLI latency; budget
// admission over a large ledger. One table, each figure beside its target. See bench/README.md.
// Everything listens on and talks to 127.0.0.1 only.
import { readdirSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { adminToken, BenchError, benchSettings, daemonConfig, fakeModel, prompt, redactedDaemonConfig } from "./bench-config.js";
import { measureBudgetAdmission } from "./budget-admission.js";
import { captureResponse } from "./capture.js";
import { type DaemonProcess, DaemonStartError, describeExit, startDaemon } from "./daemon-process.js";
import { jsonAnswerProblem, sseAnswerProblem, upstreamApiKey, upstreamModel } from "./fake-reply.js";
import { gatewayClient, runStreamOnce } from "./grpc-load.js";
import { type ChatTarget, runChatPhases, type TargetName, targetNames, throughputEntry } from "./http-phases.js";
import { type ErrorTally, httpPost, keepAliveAgent, runCounted, runSaturated, runSequential } from "./load.js";
import { measureMemorySearch } from "./memory-search.js";
import { measureMetricsOverhead } from "./metrics-overhead.js";
import { formatProfileSummary, summarizeProfiles } from "./profile-summary.js";
import { type BenchResults, formatTable, type SoakResults, tableRows, writeResults } from "./report.js";
import type { ServerProcess } from "./server-process.js";
import { measureCli, measureStartups } from "./startup.js";
import { round, roundSummary, summarize } from "./stats.js";
import { type FakeUpstreamProcess, startFakeUpstream, startPassthroughProxy } from "./upstream-processes.js";

function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

function loopbackHostPort(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(":");
  const host = address.slice(0, colon).replace(/^\[|\]$/g, "");
  const port = Number(address.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(port)) throw new BenchError(`the daemon reported an address that is not host:port: ${address}`);
  if (host !== "::1" && !host.startsWith("127."))
    throw new BenchError(`the daemon listens on ${address}, which is not loopback; the bench only talks to loopback`);
  return { host, port };
}

/** The three targets: what each is sent (the gateway gets its model name, the others the upstream's) and must answer. */
function chatTargets(fakePort: number, proxyPort: number, gatewayHttp: string): Record<TargetName, ChatTarget> {
  const path = "/v1/chat/completions";
  const messages = [{ role: "user", content: prompt }];
  const upstream = (port: number): ChatTarget => ({
    target: { host: "127.0.0.1", port, path, headers: { "content-type": "application/json", authorization: `Bearer ${upstreamApiKey}` } },
    json: { body: JSON.stringify({ model: upstreamModel, messages, stream: false }), check: (body) => jsonAnswerProblem(body, upstreamModel) },
    sse: {
      body: JSON.stringify({ model: upstreamModel, messages, stream: true, stream_options: { include_usage: true } }),
      check: (body) => sseAnswerProblem(body, upstreamModel),
    },
  });
  return {
    direct: upstream(fakePort),
    proxy: upstream(proxyPort),
    gateway: {
      target: { ...loopbackHostPort(gatewayHttp), path, headers: { "content-type": "application/json", authorization: `Bearer ${adminToken}` } },
      json: { body: JSON.stringify({ model: fakeModel, messages }), check: (body) => jsonAnswerProblem(body, fakeModel) },
      sse: {
        body: JSON.stringify({ model: fakeModel, messages, stream: true, stream_options: { include_usage: true } }),
        check: (body) => sseAnswerProblem(body, fakeModel),
      },
    },
  };
}

/** One request of each kind to each target before any load: a wrong answer stops the bench with the body. */
async function checkTargets(targets: Record<TargetName, ChatTarget>, daemon: DaemonProcess, sent: Record<TargetName, number>): Promise<void> {
  for (const name of targetNames) {
    for (const kind of ["json", "sse"] as const) {
      const { body, check } = targets[name][kind];
      sent[name]++;
      const { response, raw } = await captureResponse(targets[name].target, body);
      const problem = response.status !== 200 ? `status ${response.status}` : check(raw);
      if (problem === undefined) continue;
      const output = name === "gateway" ? `\n  daemon output (last lines):\n${daemon.recentOutput()}` : "";
      throw new BenchError(`the ${name} target answered wrongly (${kind}): ${problem}\n  body: ${raw.slice(0, 1500)}${output}`);
    }
  }
}

async function main(): Promise<number> {
  const settings = benchSettings(process.argv.slice(2));
  const errors: ErrorTally = { count: 0, examples: [] };
  const absorb = (tally: ErrorTally) => {
    errors.count += tally.count;
    for (const example of tally.examples) if (errors.examples.length < 10 && !errors.examples.includes(example)) errors.examples.push(example);
  };
  const warnings: string[] = [];
  const sent: Record<TargetName, number> = { direct: 0, proxy: 0, gateway: 0 };
  let fake: FakeUpstreamProcess | undefined;
  let proxy: ServerProcess | undefined;
  let daemon: DaemonProcess | undefined;
  let daemonExit: string | undefined;
  try {
    progress(`${settings.mode} run${settings.profile ? " with the CPU profiler" : ""}: starting the fake OpenAI upstream and the pass-through proxy`);
    fake = await startFakeUpstream();
    proxy = await startPassthroughProxy(fake.port);
    const configToml = daemonConfig(fake.port);
    progress("starting the daemon (node bin/palyra.js daemon --config <state-dir>/palyra.toml, loopback, port 0)");
    const nodeArgs = settings.profile ? ["--cpu-prof", "--cpu-prof-dir", settings.profileDir] : [];
    daemon = await startDaemon({ adminToken, logLevel: "warn", configToml, nodeArgs }).catch((error: unknown) => {
      throw error instanceof DaemonStartError ? new BenchError(`the daemon failed to start: ${error.message}`) : error;
    });
    const running = daemon;
    loopbackHostPort(running.grpc);
    const targets = chatTargets(fake.port, proxy.port, running.http);
    await checkTargets(targets, running, sent);

    const cliModelsList = await measureCli(running, settings.cliRuns, fakeModel, progress);
    const rssTrail: BenchResults["daemon"]["rssAfterPhase"] = [{ after: "start-up and checks", rssBytes: running.rssBytes() ?? null }];
    const afterPhase = (after: string) => rssTrail.push({ after, rssBytes: running.rssBytes() ?? null });
    const chat = await runChatPhases({ settings, progress, absorb, afterPhase, count: (name, requests) => (sent[name] += requests) }, targets);

    const client = gatewayClient(running.grpc);
    const runOnce = runStreamOnce(client, adminToken, fakeModel, prompt);
    const run = () => {
      sent.gateway++;
      return runOnce();
    };
    progress(`gRPC RunStream: ${settings.warmupRequests} + ${settings.requests} runs at concurrency 1`);
    const grpcSequential = await runSequential(run, settings.warmupRequests, settings.requests);
    absorb(grpcSequential.errors);
    progress(`gRPC RunStream: ${settings.warmupSeconds} s + ${settings.seconds} s at concurrency ${settings.concurrency}`);
    const grpcSaturated = await runSaturated(run, settings.concurrency, settings.seconds, settings.warmupSeconds);
    absorb(grpcSaturated.errors);
    afterPhase(`RunStream, concurrency ${settings.concurrency}`);

    progress(`soak: ${settings.soakRequests} JSON requests at concurrency ${settings.concurrency} (at most ${settings.soakSeconds} s)`);
    const soakAgent = keepAliveAgent(settings.concurrency);
    const soakPost = httpPost(soakAgent, { ...targets.gateway.target, body: targets.gateway.json.body });
    let checkpointRss: number | null = null;
    const counted = await runCounted(
      () => {
        sent.gateway++;
        return soakPost();
      },
      settings.concurrency,
      settings.soakRequests,
      settings.soakSeconds,
      [settings.soakCheckpoint],
      () => (checkpointRss = running.rssBytes() ?? null),
    );
    soakAgent.destroy();
    absorb(counted.errors);
    const reached = counted.completed + counted.errors.count;
    const soak: SoakResults = {
      concurrency: settings.concurrency,
      requested: settings.soakRequests,
      reached,
      capped: counted.capped,
      maxSeconds: settings.soakSeconds,
      seconds: round(counted.elapsedSeconds),
      requestsPerSecond: round(reached / counted.elapsedSeconds, 1),
      checkpoint: { requests: settings.soakCheckpoint, rssBytes: checkpointRss },
      end: { requests: reached, rssBytes: running.rssBytes() ?? null },
    };
    if (reached < settings.soakCheckpoint) warnings.push(`the soak reached ${reached} requests, short of its ${settings.soakCheckpoint} checkpoint`);
    afterPhase(`soak of ${reached} requests`);

    const upstream = await fake.stats();
    const expected = sent.direct + sent.proxy + sent.gateway;
    const seen = upstream.chatStreamed + upstream.chatJson;
    if (seen !== expected || upstream.rejected !== 0) {
      warnings.push(
        `the fake upstream answered ${seen} chat completion(s) and rejected ${upstream.rejected}, but the bench sent ${expected}: every request should cost exactly one upstream call`,
      );
    }
    const peakRssBytes = running.peakRssBytes() ?? null;
    progress("stopping the daemon (SIGTERM)");
    const exit = await running.stop();
    daemonExit = describeExit(exit);
    if (exit.code !== 0) warnings.push(`the daemon did not exit cleanly on SIGTERM (${daemonExit})\n${running.recentOutput()}`);
    const logLines = running.logCounts();
    const loud = (logLines.error ?? 0) + (logLines.fatal ?? 0);
    if (loud > 0) warnings.push(`the daemon logged ${loud} error/fatal line(s) during the run\n${running.recentOutput()}`);

    const startup = await measureStartups(configToml, settings.startups, settings.mode === "full", progress);
    await proxy.stop();
    await fake.stop();
    const budgetAdmission = await measureBudgetAdmission({
      ledgerRows: [10, settings.budgetLedgerRows],
      admissions: settings.budgetAdmissions,
      warmup: Math.min(500, settings.budgetAdmissions),
      progress,
    });
    const memorySearch = [];
    for (const items of settings.memoryItems) {
      progress(`memory search: a journal of ${items.toLocaleString("en-US")} items, ${settings.memorySearches} searches per mode`);
      memorySearch.push(await measureMemorySearch({ items, searches: settings.memorySearches }));
    }
    progress(`metrics: ${settings.metricsRounds} rounds of ${settings.metricsRequests} simulated chat requests through the observers`);
    const metricsOverhead = await measureMetricsOverhead({ requestsPerRound: settings.metricsRequests, rounds: settings.metricsRounds });
    const profile = settings.profile
      ? summarizeProfiles(
          readdirSync(settings.profileDir)
            .filter((file) => file.endsWith(".cpuprofile"))
            .map((file) => join(settings.profileDir, file)),
        )
      : undefined;

    const { mode, profile: profiled, resultsPath: _path, profileDir: _dir, ...counts } = settings;
    const partial: Omit<BenchResults, "targets"> = {
      timestamp: new Date().toISOString(),
      mode,
      profiled,
      environment: {
        node: process.version,
        platform: process.platform,
        arch: process.arch,
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model.trim() ?? "unknown",
        loadAverage: loadavg().map((value) => round(value, 2)),
      },
      settings: counts,
      daemon: {
        command: `node ${nodeArgs.join(" ")}${nodeArgs.length > 0 ? " " : ""}bin/palyra.js daemon --state-dir <tmp> --grpc-bind 127.0.0.1:0 --http-bind 127.0.0.1:0 --config <tmp>/palyra.toml`,
        config: redactedDaemonConfig(fake.port),
        readySignal: running.readySignal,
        peakRssBytes,
        rssAfterPhase: rssTrail,
        exit: daemonExit,
        logLines,
      },
      chat,
      grpcRunStream: {
        latency: roundSummary(summarize(grpcSequential.samples.map((sample) => sample.totalMs))),
        firstDelta: roundSummary(summarize(grpcSequential.samples.map((sample) => sample.firstDeltaMs))),
        throughput: throughputEntry(grpcSaturated),
      },
      soak,
      startup,
      cliModelsList,
      upstreamCalls: { sent, expected, seen, rejected: upstream.rejected },
      budgetAdmission,
      memorySearch,
      metricsOverhead,
      ...(profile === undefined ? {} : { profile }),
      errors: { total: errors.count, examples: errors.examples },
      warnings,
    };
    const { rows, targets: judged } = tableRows(partial, settings.mode === "full");
    const results: BenchResults = { ...partial, targets: judged };
    process.stdout.write(`\n${formatTable(results, rows)}\n\n`);
    if (profile !== undefined) process.stdout.write(`${formatProfileSummary(profile)}\nprofiles: ${settings.profileDir}\n\n`);
    writeResults(settings.resultsPath, results);
    progress(`wrote ${settings.resultsPath}`);
    if (errors.count > 0) {
      process.stderr.write(`bench: ${errors.count} request(s) failed; the numbers above are not trustworthy\n`);
      return 1;
    }
    return daemonExit === "exit code 0" ? 0 : 1;
  } finally {
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
