import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { BudgetAdmissionResults } from "./budget-admission.js";
import type { Summary } from "./stats.js";

export interface ComparedLatency {
  gateway: Summary;
  baseline: Summary;
  /** gateway − baseline, milliseconds. */
  addedMs: { p50: number; p99: number; mean: number };
}

export interface ThroughputEntry {
  concurrency: number;
  seconds: number;
  completed: number;
  errors: number;
  requestsPerSecond: number;
  /** Latency of each request under that load. */
  latency: Summary;
}

export interface BenchResults {
  timestamp: string;
  environment: { node: string; platform: string; arch: string; cpus: number; cpuModel: string; loadAverage: number[] };
  config: {
    requests: number;
    warmupRequests: number;
    seconds: number;
    warmupSeconds: number;
    concurrency: number;
    /** Timed budget admissions (and settlements) per ledger size. */
    budgetAdmissions: number;
    /** Runs in the large ledger of the budget admission measurement. */
    budgetLedgerRows: number;
    model: string;
    /** The gateway model on the openai_compatible provider in front of the fake upstream. */
    openaiModel: string;
    prompt: string;
  };
  daemon: {
    command: string;
    /** The palyra.toml the daemon was started with (the upstream key redacted). */
    config: string;
    readySignal: string;
    readyLineSeen: boolean;
    peakRssBytes: number | null;
    rssAfterPhase: { after: string; rssBytes: number | null }[];
    exit: string;
    logLines: Record<string, number>;
  };
  baseline: { peakRssBytes: number | null; replayedJsonBytes: number; replayedSseFrames: number };
  chat: {
    latency: ComparedLatency;
    /** Mean body bytes per answer; the two should match within a few bytes (ids, timestamps). */
    bytesPerResponse: { gateway: number; baseline: number };
    throughput: { gateway: ThroughputEntry; baseline: ThroughputEntry; ratio: number };
  };
  stream: {
    firstData: ComparedLatency;
    total: ComparedLatency;
    bytesPerResponse: { gateway: number; baseline: number };
  };
  grpcRunStream: {
    latency: Summary;
    firstDelta: Summary;
    throughput: ThroughputEntry;
  };
  /**
   * The openai_compatible provider path: the gateway in front of the fake OpenAI upstream. In this
   * section "baseline" is the fake upstream called directly (latency, streaming) or the pass-through
   * proxy in front of it (throughput).
   */
  openaiCompatible: {
    model: string;
    provider: { providerId: string; kind: string; upstreamModel: string };
    fakeUpstream: { peakRssBytes: number | null; reply: string; usage: Record<string, number> };
    proxy: { peakRssBytes: number | null };
    chat: {
      latency: ComparedLatency;
      bytesPerResponse: { gateway: number; baseline: number };
      throughput: { gateway: ThroughputEntry; baseline: ThroughputEntry; ratio: number };
    };
    stream: {
      firstData: ComparedLatency;
      total: ComparedLatency;
      bytesPerResponse: { gateway: number; baseline: number };
    };
    /** Chat completions the bench sent to the fake upstream (directly, via the proxy, via the gateway) and what it saw. */
    upstreamCalls: {
      expected: { streamed: number; json: number };
      seen: { streamed: number; json: number; rejected: number };
    };
  };
  /** Budget admission and settlement time over a small and a large runs ledger (standalone, SQLite). */
  budgetAdmission: BudgetAdmissionResults;
  errors: { total: number; examples: string[] };
  warnings: string[];
}

type Row = [label: string, gateway: string, baseline: string, comparison: string];

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(3) : "n/a");
const added = (value: number) => (Number.isFinite(value) ? `${value >= 0 ? "+" : ""}${value.toFixed(3)} ms` : "n/a");
const perSecond = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "n/a");
const megabytes = (bytes: number | null) => (bytes === null ? "n/a" : `${(bytes / 1024 / 1024).toFixed(1)} MB`);

function latencyRows(prefix: string, compared: ComparedLatency): Row[] {
  return [
    [`${prefix} p50 (ms)`, ms(compared.gateway.p50), ms(compared.baseline.p50), added(compared.addedMs.p50)],
    [`${prefix} p99 (ms)`, ms(compared.gateway.p99), ms(compared.baseline.p99), added(compared.addedMs.p99)],
    [`${prefix} mean (ms)`, ms(compared.gateway.mean), ms(compared.baseline.mean), added(compared.addedMs.mean)],
  ];
}

function budgetRows(budget: BudgetAdmissionResults): Row[] {
  const small = budget.cases[0];
  const large = budget.cases[budget.cases.length - 1];
  if (small === undefined || large === undefined) return [];
  const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? `ratio ${(a / b).toFixed(3)}` : "n/a");
  return [
    [`ledger rows`, large.ledgerRows.toLocaleString("en-US"), small.ledgerRows.toLocaleString("en-US"), `filled in ${large.fillSeconds} s`],
    ["admit p50 (ms)", ms(large.admitMs.p50), ms(small.admitMs.p50), ratio(large.admitMs.p50, small.admitMs.p50)],
    ["admit p99 (ms)", ms(large.admitMs.p99), ms(small.admitMs.p99), ratio(large.admitMs.p99, small.admitMs.p99)],
    ["settle p50 (ms)", ms(large.settleMs.p50), ms(small.settleMs.p50), ratio(large.settleMs.p50, small.settleMs.p50)],
    ["settle p99 (ms)", ms(large.settleMs.p99), ms(small.settleMs.p99), ratio(large.settleMs.p99, small.settleMs.p99)],
  ];
}

/** The human-readable table printed at the end of a run. */
export function formatTable(results: BenchResults): string {
  const { config, environment } = results;
  const openai = results.openaiCompatible;
  const c = config.concurrency;
  const sections: { title: string; rows: Row[] }[] = [
    {
      title: `POST /v1/chat/completions (JSON), concurrency 1, ${config.requests} requests`,
      rows: [
        ...latencyRows("latency", results.chat.latency),
        ["body bytes (mean)", String(results.chat.bytesPerResponse.gateway), String(results.chat.bytesPerResponse.baseline), ""],
      ],
    },
    {
      title: `POST /v1/chat/completions (JSON), concurrency ${c}, ${config.seconds} s`,
      rows: [
        ["throughput (req/s)", perSecond(results.chat.throughput.gateway.requestsPerSecond), perSecond(results.chat.throughput.baseline.requestsPerSecond), `ratio ${results.chat.throughput.ratio.toFixed(3)}`],
        ["latency p50 (ms)", ms(results.chat.throughput.gateway.latency.p50), ms(results.chat.throughput.baseline.latency.p50), ""],
        ["latency p99 (ms)", ms(results.chat.throughput.gateway.latency.p99), ms(results.chat.throughput.baseline.latency.p99), ""],
      ],
    },
    {
      title: `POST /v1/chat/completions stream:true (SSE), concurrency 1, ${config.requests} requests`,
      rows: [
        ...latencyRows("first data:", results.stream.firstData),
        ...latencyRows("complete", results.stream.total),
        ["body bytes (mean)", String(results.stream.bytesPerResponse.gateway), String(results.stream.bytesPerResponse.baseline), ""],
      ],
    },
    {
      title: `gRPC GatewayService.RunStream (no baseline), ${config.requests} runs at concurrency 1, ${config.seconds} s at ${c}`,
      rows: [
        ["run p50 (ms), c=1", ms(results.grpcRunStream.latency.p50), "", ""],
        ["run p99 (ms), c=1", ms(results.grpcRunStream.latency.p99), "", ""],
        ["first delta p50 (ms), c=1", ms(results.grpcRunStream.firstDelta.p50), "", ""],
        [`throughput (runs/s), c=${c}`, perSecond(results.grpcRunStream.throughput.requestsPerSecond), "", ""],
        [`run p99 (ms), c=${c}`, ms(results.grpcRunStream.throughput.latency.p99), "", ""],
      ],
    },
    {
      title: `openai_compatible provider (model ${openai.model}): gateway vs. the fake upstream called directly (baseline column)`,
      rows: [],
    },
    {
      title: `  POST /v1/chat/completions (JSON; upstream streamed), concurrency 1, ${config.requests} requests`,
      rows: [
        ...latencyRows("latency", openai.chat.latency),
        ["body bytes (mean)", String(openai.chat.bytesPerResponse.gateway), String(openai.chat.bytesPerResponse.baseline), ""],
      ],
    },
    {
      title: `  POST /v1/chat/completions (JSON), concurrency ${c}, ${config.seconds} s: gateway vs. pass-through proxy (baseline column)`,
      rows: [
        ["throughput (req/s)", perSecond(openai.chat.throughput.gateway.requestsPerSecond), perSecond(openai.chat.throughput.baseline.requestsPerSecond), `ratio ${openai.chat.throughput.ratio.toFixed(3)}`],
        ["latency p50 (ms)", ms(openai.chat.throughput.gateway.latency.p50), ms(openai.chat.throughput.baseline.latency.p50), ""],
        ["latency p99 (ms)", ms(openai.chat.throughput.gateway.latency.p99), ms(openai.chat.throughput.baseline.latency.p99), ""],
      ],
    },
    {
      title: `  POST /v1/chat/completions stream:true (SSE), concurrency 1, ${config.requests} requests`,
      rows: [
        ...latencyRows("first data: (TTFT)", openai.stream.firstData),
        ...latencyRows("complete", openai.stream.total),
        ["body bytes (mean)", String(openai.stream.bytesPerResponse.gateway), String(openai.stream.bytesPerResponse.baseline), ""],
        [
          "upstream chat calls (stream/JSON)",
          `${openai.upstreamCalls.seen.streamed}/${openai.upstreamCalls.seen.json}`,
          "",
          `expected ${openai.upstreamCalls.expected.streamed}/${openai.upstreamCalls.expected.json}`,
        ],
      ],
    },
    {
      title: `Budget admission (${results.budgetAdmission.policies.length} policies, ${results.budgetAdmission.admissions} admissions each; gateway column: the large ledger, baseline column: 10 runs)`,
      rows: budgetRows(results.budgetAdmission),
    },
    {
      title: "Memory (baseline column: the replaying baseline; then the fake upstream and the proxy)",
      rows: [
        ["peak RSS (VmHWM)", megabytes(results.daemon.peakRssBytes), megabytes(results.baseline.peakRssBytes), ""],
        ["peak RSS fake upstream / proxy", "", megabytes(openai.fakeUpstream.peakRssBytes), megabytes(openai.proxy.peakRssBytes)],
        ...results.daemon.rssAfterPhase.map((entry): Row => [`RSS after ${entry.after}`, megabytes(entry.rssBytes), "", ""]),
      ],
    },
  ];

  const header: Row = ["", "gateway", "baseline", "added / ratio"];
  const allRows = [header, ...sections.flatMap((section) => section.rows)];
  const widths = [0, 1, 2, 3].map((column) => Math.max(...allRows.map((row) => row[column]?.length ?? 0)));
  const line = (row: Row) =>
    `  ${row[0].padEnd(widths[0] ?? 0)}  ${row[1].padStart(widths[1] ?? 0)}  ${row[2].padStart(widths[2] ?? 0)}  ${row[3].padStart(widths[3] ?? 0)}`.trimEnd();

  const out: string[] = [
    `Palyra gateway benchmark  ${results.timestamp}`,
    `node ${environment.node}, ${environment.cpus} CPUs (${environment.cpuModel}), models ${config.model} and ${config.openaiModel}, ` +
      `${config.warmupRequests} warm-up requests, ${config.warmupSeconds} s warm-up before each saturation run`,
    "",
    line(header),
  ];
  for (const section of sections) {
    out.push("", section.title);
    for (const row of section.rows) out.push(line(row));
  }
  out.push("");
  out.push(`errors: ${results.errors.total}${results.errors.examples.length > 0 ? ` (${results.errors.examples.join("; ")})` : ""}`);
  for (const warning of results.warnings) out.push(`warning: ${warning}`);
  return out.join("\n");
}

export function writeResults(path: string, results: BenchResults): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
}
