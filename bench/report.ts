// The bench's one table (each figure next to its target from issue 11, and whether it is met) and
// its JSON file.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { BudgetAdmissionResults } from "./budget-admission.js";
import type { ChatResults, TargetName, ThroughputEntry } from "./http-phases.js";
import type { MemorySearchCase } from "./memory-search.js";
import type { MetricsOverheadResults } from "./metrics-overhead.js";
import type { ProfileSummary } from "./profile-summary.js";
import type { TimedRuns } from "./startup.js";
import type { Summary } from "./stats.js";

export interface SoakResults {
  concurrency: number;
  requested: number;
  /** Requests that ended (succeeded or not) before the time cap. */
  reached: number;
  capped: boolean;
  maxSeconds: number;
  seconds: number;
  requestsPerSecond: number;
  checkpoint: { requests: number; rssBytes: number | null };
  end: { requests: number; rssBytes: number | null };
}

export interface BenchResults {
  timestamp: string;
  mode: "full" | "smoke";
  profiled: boolean;
  environment: { node: string; platform: string; arch: string; cpus: number; cpuModel: string; loadAverage: number[] };
  settings: Record<string, number | string | boolean | number[]>;
  daemon: {
    command: string;
    /** The palyra.toml the daemon was started with (the upstream key redacted). */
    config: string;
    readySignal: string;
    peakRssBytes: number | null;
    rssAfterPhase: { after: string; rssBytes: number | null }[];
    exit: string;
    logLines: Record<string, number>;
  };
  chat: ChatResults;
  grpcRunStream: { latency: Summary; firstDelta: Summary; throughput: ThroughputEntry };
  soak: SoakResults;
  startup: TimedRuns;
  cliModelsList: TimedRuns;
  /** Chat completions the bench sent towards the fake upstream, and how many it answered. */
  upstreamCalls: { sent: Record<TargetName, number>; expected: number; seen: number; rejected: number };
  /** Budget admission and settlement time over a small and a large runs ledger (standalone, SQLite). */
  budgetAdmission: BudgetAdmissionResults;
  memorySearch: MemorySearchCase[];
  /** What the Prometheus metrics add to each chat request (standalone microbench of the observers). */
  metricsOverhead: MetricsOverheadResults;
  /** Every figure with a target: its value, the target, and whether it is met (null in a smoke run). */
  targets: { name: string; value: number; target: string; met: boolean | null }[];
  profile?: ProfileSummary;
  errors: { total: number; examples: string[] };
  warnings: string[];
}

type Row = [label: string, direct: string, proxy: string, gateway: string, comparison: string, target: string, met: string];

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(3) : "n/a");
const plusMs = (value: number) => (Number.isFinite(value) ? `${value >= 0 ? "+" : ""}${value.toFixed(3)} ms` : "n/a");
const perSecond = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "n/a");
const megabytes = (bytes: number | null) => (bytes === null ? "n/a" : (bytes / 1024 / 1024).toFixed(1));
const times = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : "n/a");
const thousands = (count: number) =>
  count >= 1e6 && count % 1e6 === 0 ? `${count / 1e6}M` : count >= 1000 && count % 1000 === 0 ? `${count / 1000}k` : count.toLocaleString("en-US");

/** The table's rows, and the targets they were judged against; `judge` false leaves "met" empty (smoke). */
export function tableRows(results: Omit<BenchResults, "targets">, judge: boolean): { rows: Row[]; targets: BenchResults["targets"] } {
  const targets: BenchResults["targets"] = [];
  const check = (name: string, value: number, target: string, met: boolean): string => {
    targets.push({ name, value: Number.isFinite(value) ? Math.round(value * 1000) / 1000 : value, target, met: judge ? met : null });
    return judge ? (met ? "yes" : "NO") : "-";
  };
  const { chat, grpcRunStream: grpc, soak, budgetAdmission } = results;
  const c = results.chat.jsonThroughput.gateway.concurrency;
  const added = (summary: Record<TargetName, Summary>, key: "p50" | "p99") => summary.gateway[key] - summary.direct[key];
  const latency = (label: string, summary: Record<TargetName, Summary>, key: "p50" | "p99", limitMs?: number): Row => {
    const extra = added(summary, key);
    return [
      label,
      ms(summary.direct[key]),
      ms(summary.proxy[key]),
      ms(summary.gateway[key]),
      `${plusMs(extra)} added`,
      limitMs === undefined ? "" : `added ≤ ${limitMs} ms`,
      limitMs === undefined ? "" : check(label.replace(" (ms)", " added (ms)"), extra, `≤ ${limitMs} ms`, extra <= limitMs),
    ];
  };
  const throughput = (label: string, entries: Record<TargetName, ThroughputEntry>, minRatio?: number): Row => {
    const ratio = entries.gateway.requestsPerSecond / entries.proxy.requestsPerSecond;
    return [
      label,
      perSecond(entries.direct.requestsPerSecond),
      perSecond(entries.proxy.requestsPerSecond),
      perSecond(entries.gateway.requestsPerSecond),
      `${times(ratio)} proxy`,
      minRatio === undefined ? "" : `≥ ${minRatio}× proxy`,
      minRatio === undefined ? "" : check(label.replace("(req/s)", "gateway ÷ proxy"), ratio, `≥ ${minRatio}`, ratio >= minRatio),
    ];
  };
  const gatewayOnly = (label: string, value: string, comparison = "", target = "", met = ""): Row => [label, "", "", value, comparison, target, met];

  const v1Ratio = chat.sseThroughput.gateway.requestsPerSecond / grpc.throughput.requestsPerSecond;
  const rssChange = soak.checkpoint.rssBytes === null || soak.end.rssBytes === null ? Number.NaN : soak.end.rssBytes / soak.checkpoint.rssBytes - 1;
  const peakMb = results.daemon.peakRssBytes === null ? Number.NaN : results.daemon.peakRssBytes / 1024 / 1024;
  const small = budgetAdmission.cases[0];
  const large = budgetAdmission.cases[budgetAdmission.cases.length - 1];
  const ledgerRatio = (pick: (entry: NonNullable<typeof large>) => number) => (small && large ? pick(large) / pick(small) : Number.NaN);
  const endLabel = `RSS after ${thousands(soak.end.requests)} soak requests${soak.capped ? ` (capped at ${soak.maxSeconds} s)` : ""} (MB)`;

  const rows: Row[] = [
    latency("JSON c=1 p50 (ms)", chat.jsonLatency, "p50", 0.4),
    latency("JSON c=1 p99 (ms)", chat.jsonLatency, "p99", 2),
    throughput(`JSON c=${c} (req/s)`, chat.jsonThroughput, 0.4),
    latency("SSE c=1 first data p50 (ms)", chat.sseFirstData, "p50", 0.4),
    latency("SSE c=1 first data p99 (ms)", chat.sseFirstData, "p99"),
    latency("SSE c=1 complete p50 (ms)", chat.sseTotal, "p50"),
    latency("SSE c=1 complete p99 (ms)", chat.sseTotal, "p99"),
    throughput(`SSE c=${c} (req/s)`, chat.sseThroughput),
    gatewayOnly("gRPC RunStream c=1 p50 (ms)", ms(grpc.latency.p50)),
    gatewayOnly("gRPC RunStream c=1 p99 (ms)", ms(grpc.latency.p99)),
    gatewayOnly(
      `gRPC RunStream c=${c} (runs/s)`,
      perSecond(grpc.throughput.requestsPerSecond),
      `/v1 SSE ${times(v1Ratio)} it`,
      "/v1 ≤ 1.5× it",
      check(`/v1 SSE ÷ gRPC RunStream, c=${c} (req/s ratio)`, v1Ratio, "≤ 1.5", v1Ratio <= 1.5),
    ),
    gatewayOnly("peak RSS (MB)", megabytes(results.daemon.peakRssBytes), "", "≤ 200 MB", check("peak RSS (MB)", peakMb, "≤ 200 MB", peakMb <= 200)),
    gatewayOnly(
      `RSS after ${thousands(soak.checkpoint.requests)} soak requests (MB)`,
      megabytes(soak.checkpoint.rssBytes),
      `${perSecond(soak.requestsPerSecond)} req/s`,
    ),
    gatewayOnly(
      endLabel,
      megabytes(soak.end.rssBytes),
      `${Number.isFinite(rssChange) ? `${rssChange >= 0 ? "+" : ""}${(rssChange * 100).toFixed(1)}%` : "n/a"}`,
      "±10%",
      check("RSS change over the soak (fraction)", rssChange, "within ±0.1", Math.abs(rssChange) <= 0.1),
    ),
    gatewayOnly(
      `start to ready, median of ${results.startup.samplesMs.length} (ms)`,
      results.startup.medianMs.toFixed(0),
      "",
      "≤ 1000 ms",
      check("start to ready (ms)", results.startup.medianMs, "≤ 1000 ms", results.startup.medianMs <= 1000),
    ),
    gatewayOnly(
      `palyra models list, median of ${results.cliModelsList.samplesMs.length} (ms)`,
      results.cliModelsList.medianMs.toFixed(0),
      "",
      "≤ 300 ms",
      check("palyra models list (ms)", results.cliModelsList.medianMs, "≤ 300 ms", results.cliModelsList.medianMs <= 300),
    ),
    gatewayOnly(
      `budget admit p50, ${thousands(large?.ledgerRows ?? 0)}-run ledger (ms)`,
      ms(large?.admitMs.p50 ?? Number.NaN),
      `${times(ledgerRatio((entry) => entry.admitMs.p50))} ${small?.ledgerRows ?? "?"} runs`,
      "flat (≤ 1.5×)",
      check(
        "budget admit p50, large ÷ small ledger",
        ledgerRatio((entry) => entry.admitMs.p50),
        "≤ 1.5",
        ledgerRatio((entry) => entry.admitMs.p50) <= 1.5,
      ),
    ),
    gatewayOnly(
      `budget settle p50, ${thousands(large?.ledgerRows ?? 0)}-run ledger (ms)`,
      ms(large?.settleMs.p50 ?? Number.NaN),
      `${times(ledgerRatio((entry) => entry.settleMs.p50))} ${small?.ledgerRows ?? "?"} runs`,
      "flat (≤ 1.5×)",
      check(
        "budget settle p50, large ÷ small ledger",
        ledgerRatio((entry) => entry.settleMs.p50),
        "≤ 1.5",
        ledgerRatio((entry) => entry.settleMs.p50) <= 1.5,
      ),
    ),
    // Memory search in process (no daemon): hybrid's p50, with each side's and the event loop's longest stall.
    ...results.memorySearch.map((entry) =>
      gatewayOnly(
        `memory search p50, ${thousands(entry.items)} items (ms)`,
        ms(entry.searchMs.hybrid.p50),
        `lexical ${ms(entry.searchMs.lexical.p50)} · semantic ${ms(entry.searchMs.semantic.p50)} · stall ≤ ${ms(entry.maxEventLoopStallMs)}`,
      ),
    ),
    gatewayOnly(
      "metrics per chat request (ns)",
      results.metricsOverhead.perRequestNs.toFixed(0),
      `prom-client direct ${results.metricsOverhead.promClientPerRequestNs.toFixed(0)} ns · scrape ${ms(results.metricsOverhead.scrapeMs)} ms`,
      "≤ 1,000 ns",
      check("metrics per chat request (ns)", results.metricsOverhead.perRequestNs, "≤ 1000 ns", results.metricsOverhead.perRequestNs <= 1000),
    ),
  ];
  return { rows, targets };
}

/** The human-readable table printed at the end of a run. */
export function formatTable(results: BenchResults, rows: Row[]): string {
  const { environment, settings } = results;
  const header: Row = ["", "direct", "proxy", "gateway", "gateway vs.", "target", "met"];
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => row[column]?.length ?? 0)));
  const line = (row: Row) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[column] ?? 0)))
      .join("  ")
      .trimEnd();
  const out = [
    `Palyra gateway benchmark (${results.mode}${results.profiled ? ", under the CPU profiler" : ""})  ${results.timestamp}`,
    `node ${environment.node}, ${environment.cpus} CPUs (${environment.cpuModel}), load average ${environment.loadAverage.join(" ")}; ` +
      `c=1: ${settings.warmupRequests} + ${settings.requests} requests, saturation: ${settings.warmupSeconds} s + ${settings.seconds} s; ` +
      "budgets, pricing and smart routing (suggest) on",
    "",
    line(header),
    ...rows.map(line),
    "",
    `errors: ${results.errors.total}${results.errors.examples.length > 0 ? ` (${results.errors.examples.join("; ")})` : ""}`,
    ...results.warnings.map((warning) => `warning: ${warning}`),
  ];
  return out.join("\n");
}

export function writeResults(path: string, results: BenchResults): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
}
