import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { AgentLabels } from "../../src/diagnostics/metrics/agent-labels.js";
import { DeferredHistogram } from "../../src/diagnostics/metrics/deferred-histogram.js";
import { GatewayMetrics } from "../../src/diagnostics/metrics/gateway-metrics.js";
import type { RunEnd } from "../../src/runs/run-end.js";
import { openSqliteStore } from "../../src/store/open-store.js";
import { busiestAgents, insertRun } from "../../src/store/runs-repository.js";
import { parsePrometheusText, sumOf } from "../helpers/prometheus-text.js";
import { runningRunRow } from "../helpers/run-rows.js";

function endOf(overrides: Partial<RunEnd> = {}): RunEnd {
  return {
    runId: "r",
    startedAt: 1_000,
    finishedAt: 1_500,
    servedBy: { modelId: "m", providerId: "p", upstreamModel: "m" },
    attempts: 1,
    cacheHit: false,
    firstOutputMs: 100,
    usage: { inputTokens: 10, outputTokens: 5, cachedInputTokens: 2, cacheWriteTokens: 0, estimated: false },
    cost: { costUsd: 0.25, costEstimated: false },
    status: "succeeded",
    finishReason: "stop",
    ...overrides,
  } as RunEnd;
}

function metricsWith(topAgents: number, seededAgents: string[] = []) {
  return new GatewayMetrics({ topAgents, seededAgents, circuitStates: () => [["p", "open"] as const], openIncidents: async () => 3 });
}

describe("AgentLabels", () => {
  it("labels the seeded agents first, then the first new ones, and folds the rest into other, remembering none of them", () => {
    const labels = new AgentLabels(3, ["busy", "busier"]);
    expect(labels.labelOf("late")).toBe("late");
    expect(labels.labelOf("later")).toBe("other");
    expect(labels.labelOf("busy")).toBe("busy");
    expect(labels.labelOf("late")).toBe("late");
    expect(labels.labelOf(undefined)).toBe("");
    expect(labels.labelOf("x".repeat(200))).toBe("other");
    expect(new AgentLabels(1).labelOf("y".repeat(200))).toBe("y".repeat(64));
  });
});

describe("GatewayMetrics", () => {
  it("moves what the observers counted into the exposition at each scrape, exactly", async () => {
    const metrics = metricsWith(1, ["seeded"]);
    metrics.runs.runEnded(endOf(), "seeded");
    metrics.runs.runEnded(endOf({ cost: { costUsd: 0.5, costEstimated: false } }), "newcomer");
    metrics.runs.runEnded(endOf({ status: "failed", usage: undefined, firstOutputMs: undefined } as Partial<RunEnd>), undefined);
    metrics.jobRunEnded("succeeded");
    metrics.jobRunEnded("skipped");
    metrics.jobRunEnded("succeeded");
    let samples = parsePrometheusText(await metrics.scrape());
    expect(sumOf(samples, "palyra_runs_total", { model: "m", provider: "p", status: "succeeded" })).toBe(2);
    expect(sumOf(samples, "palyra_runs_total", { status: "failed" })).toBe(1);
    expect(sumOf(samples, "palyra_tokens_total", { agent: "seeded", type: "input" })).toBe(10);
    expect(sumOf(samples, "palyra_tokens_total", { agent: "other", type: "cached" })).toBe(2);
    expect(sumOf(samples, "palyra_cost_usd_total", { agent: "other" })).toBe(0.5);
    expect(sumOf(samples, "palyra_run_duration_seconds_count")).toBe(3);
    expect(sumOf(samples, "palyra_run_duration_seconds_sum")).toBeCloseTo(1.5, 9);
    expect(sumOf(samples, "palyra_run_time_to_first_token_seconds_count")).toBe(2);
    expect(sumOf(samples, "palyra_scheduled_runs_total", { status: "succeeded" })).toBe(2);
    expect(sumOf(samples, "palyra_scheduled_runs_total", { status: "skipped" })).toBe(1);
    expect(sumOf(samples, "palyra_circuit_state", { provider: "p" })).toBe(2);
    expect(sumOf(samples, "palyra_open_incidents")).toBe(3);

    // Counters keep their totals across scrapes and add only what came since.
    metrics.runs.runEnded(endOf(), "seeded");
    samples = parsePrometheusText(await metrics.scrape());
    expect(sumOf(samples, "palyra_runs_total", { status: "succeeded" })).toBe(3);
    expect(sumOf(samples, "palyra_tokens_total", { agent: "seeded", type: "output" })).toBe(10);
  });

  it("keeps its own registry: two instances never share a series", async () => {
    const first = metricsWith(5);
    const second = metricsWith(5);
    first.requests.httpRequest("GET", "/healthz", 200);
    first.requests.httpRequest("BREW", undefined, 404);
    expect(sumOf(parsePrometheusText(await first.scrape()), "palyra_http_requests_total", { route: "/healthz" })).toBe(1);
    expect(sumOf(parsePrometheusText(await first.scrape()), "palyra_http_requests_total", { method: "OTHER", route: "unmatched" })).toBe(1);
    expect(sumOf(parsePrometheusText(await second.scrape()), "palyra_http_requests_total")).toBe(0);
  });
});

describe("busiestAgents", () => {
  it("names the agents with the most runs in the window, busiest first, ties by id, at most the limit", async () => {
    const store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), "palyra-busiest-")), "palyra.sqlite"));
    try {
      const runs: Array<[string | null, number]> = [
        ["b", 100],
        ["b", 100],
        ["a", 100],
        ["c", 100],
        ["c", 100],
        ["old", 1],
        ["old", 1],
        ["old", 1],
        [null, 100],
      ];
      for (const [index, [agent, at]] of runs.entries()) await insertRun(store.db, runningRunRow({ run_id: `r${index}`, agent_id: agent, created_at: at }));
      expect(await busiestAgents(store.db, 50, 10)).toEqual(["b", "c", "a"]);
      expect(await busiestAgents(store.db, 50, 2)).toEqual(["b", "c"]);
    } finally {
      await store.close();
    }
  });
});

describe("DeferredHistogram", () => {
  it("renders exactly what prom-client's own Histogram renders for the same observations", async () => {
    const buckets = [0.1, 0.5, 1, 5];
    const observations = [0, 0.1, 0.2, 0.5, 0.7, 1, 3, 5, 9, 120];
    const ours = new Registry();
    const series = new DeferredHistogram(ours, { name: "h_seconds", help: "h", buckets }).series({ model: "m", provider: "p" });
    const theirs = new Registry();
    const child = new Histogram({ name: "h_seconds", help: "h", labelNames: ["model", "provider"], buckets, registers: [theirs] }).labels("m", "p");
    for (const value of observations) {
      series.observe(value);
      child.observe(value);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });
});
