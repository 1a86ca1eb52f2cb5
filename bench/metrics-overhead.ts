// What the Prometheus metrics add to each request (issue 14: "the request path pays nanoseconds for
// it"). Standalone, in process: the daemon's real GatewayMetrics, driven with the calls one cacheable
// /v1 chat request makes (its HTTP count, its response-cache lookup, its run's end with tokens, cost
// and both histograms), timed over many requests per round; the median round's ns per request. Beside
// it, the same series updated through prom-client's cached label children, which the deferred
// counters avoid, and the time to render /metrics.
import { performance } from "node:perf_hooks";
import { Counter, Histogram, Registry } from "prom-client";
import { GatewayMetrics } from "../src/diagnostics/metrics/gateway-metrics.js";
import type { RunEnd } from "../src/runs/run-end.js";
import { round } from "./stats.js";

export interface MetricsOverheadResults {
  requestsPerRound: number;
  rounds: number;
  /** The metrics' work for one chat request (median round), in ns. */
  perRequestNs: number;
  /** The same updates through prom-client's label children (median round), in ns. */
  promClientPerRequestNs: number;
  /** Rendering /metrics after the rounds (median of the rounds' scrapes), in ms. */
  scrapeMs: number;
}

const models = ["fake-gpt", "palyra-echo", "gpt-4o", "claude-sonnet"];
const agents = ["agent-1", "agent-2", "agent-3", "agent-4", "agent-5", "agent-6", "agent-7", undefined];

function endOf(index: number): RunEnd {
  return {
    runId: `run-${index}`,
    startedAt: 1_000,
    finishedAt: 1_000 + (index % 900),
    servedBy: { modelId: models[index % models.length] ?? "", providerId: "upstream", upstreamModel: "m" },
    attempts: 1,
    cacheHit: false,
    firstOutputMs: index % 300,
    usage: { inputTokens: 12, outputTokens: 40, cachedInputTokens: 0, cacheWriteTokens: 0, estimated: false },
    cost: { costUsd: 0.00003, costEstimated: false },
    status: "succeeded",
    finishReason: "stop",
  };
}

function nsPerCall(calls: number, work: (index: number) => void): number {
  const started = performance.now();
  for (let index = 0; index < calls; index++) work(index);
  return ((performance.now() - started) * 1e6) / calls;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** prom-client used directly, label children cached: the per-call cost the deferred counters avoid. */
function promClientDirect(): (end: RunEnd, agent: string) => void {
  const registry = new Registry();
  const counter = (name: string, labelNames: string[]) => new Counter({ name, help: name, labelNames, registers: [registry] });
  const histogram = (name: string) => new Histogram({ name, help: name, labelNames: ["model", "provider"], registers: [registry] });
  const http = counter("http", ["method", "route", "status"]).labels("POST", "/v1/chat/completions", "200");
  const [cache, runs, tokens, cost] = [
    counter("cache", ["model"]),
    counter("runs", ["model", "provider", "status"]),
    counter("tokens", ["model", "provider", "agent", "type"]),
    counter("cost", ["model", "provider", "agent"]),
  ];
  const [duration, firstToken] = [histogram("duration"), histogram("first")];
  const children = new Map<string, ReturnType<typeof makeChildren>>();
  function makeChildren(model: string, agent: string) {
    return {
      cache: cache.labels(model),
      runs: runs.labels(model, "upstream", "succeeded"),
      duration: duration.labels(model, "upstream"),
      firstToken: firstToken.labels(model, "upstream"),
      input: tokens.labels(model, "upstream", agent, "input"),
      output: tokens.labels(model, "upstream", agent, "output"),
      cached: tokens.labels(model, "upstream", agent, "cached"),
      cost: cost.labels(model, "upstream", agent),
    };
  }
  return (end, agent) => {
    const key = `${end.servedBy.modelId}|${agent}`;
    let child = children.get(key);
    if (child === undefined) {
      child = makeChildren(end.servedBy.modelId, agent);
      children.set(key, child);
    }
    http.inc();
    child.cache.inc();
    child.runs.inc();
    child.duration.observe((end.finishedAt - end.startedAt) / 1000);
    child.firstToken.observe((end.firstOutputMs ?? 0) / 1000);
    child.input.inc(end.usage?.inputTokens ?? 0);
    child.output.inc(end.usage?.outputTokens ?? 0);
    child.cached.inc(end.usage?.cachedInputTokens ?? 0);
    child.cost.inc(end.cost.costUsd);
  };
}

export async function measureMetricsOverhead(options: { requestsPerRound: number; rounds: number }): Promise<MetricsOverheadResults> {
  const metrics = new GatewayMetrics({ topAgents: 20, circuitStates: () => [["upstream", "closed"] as const], openIncidents: async () => 0 });
  const ends = Array.from({ length: 1024 }, (_, index) => endOf(index));
  const request = (index: number) => {
    const end = ends[index & 1023] as RunEnd;
    metrics.requests.httpRequest("POST", "/v1/chat/completions", 200);
    metrics.runs.cacheLookup(end.servedBy.modelId, false);
    metrics.runs.runEnded(end, agents[index & 7]);
  };
  const direct = promClientDirect();
  const directRequest = (index: number) => direct(ends[index & 1023] as RunEnd, agents[index & 7] ?? "");
  const ours: number[] = [];
  const theirs: number[] = [];
  const scrapes: number[] = [];
  // A warm-up round each, untimed, so both are optimised before they are compared.
  nsPerCall(options.requestsPerRound, request);
  nsPerCall(options.requestsPerRound, directRequest);
  for (let roundIndex = 0; roundIndex < options.rounds; roundIndex++) {
    ours.push(nsPerCall(options.requestsPerRound, request));
    theirs.push(nsPerCall(options.requestsPerRound, directRequest));
    const started = performance.now();
    await metrics.scrape();
    scrapes.push(performance.now() - started);
  }
  return {
    requestsPerRound: options.requestsPerRound,
    rounds: options.rounds,
    perRequestNs: round(median(ours), 1),
    promClientPerRequestNs: round(median(theirs), 1),
    scrapeMs: round(median(scrapes), 3),
  };
}
