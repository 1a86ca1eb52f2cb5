import type { Registry } from "prom-client";
import type { BudgetObserver } from "../../governance/budgets/budget-observer.js";
import type { RunEnd } from "../../runs/run-end.js";
import type { RunObserver } from "../../runs/run-observer.js";
import type { AgentLabels } from "./agent-labels.js";
import { type CounterSeries, DeferredCounter, SeriesCache } from "./deferred-counter.js";
import { DeferredHistogram, type HistogramSeries } from "./deferred-histogram.js";

// Seconds. Runs span a cached answer (ms) to a long generation (minutes); first tokens come sooner.
const durationBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const firstTokenBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** What one agent's runs on one model cost and used. */
interface AgentSeries {
  input: CounterSeries;
  output: CounterSeries;
  cached: CounterSeries;
  costUsd: CounterSeries;
}

/** Every series of one model on one provider, made on its first event and kept. */
interface ModelSeries {
  duration: HistogramSeries;
  firstToken: HistogramSeries;
  byStatus: Map<string, CounterSeries>;
  /** By agent label (bounded by AgentLabels). */
  byAgent: Map<string, AgentSeries>;
  makeAgent: (agent: string) => AgentSeries;
  retries: CounterSeries;
  failovers: CounterSeries;
}

/**
 * The run engine's and budgets' observers as Prometheus series. Each run's end costs a few map
 * lookups, two histogram observations and field adds on cached series: no label objects, no key
 * strings, no I/O. Model and provider ids come from the config (bounded); agents are folded by AgentLabels.
 */
export class RunMetrics implements RunObserver, BudgetObserver {
  private readonly models: SeriesCache<ModelSeries>;
  private readonly cacheByModel = new Map<string, { hits: CounterSeries; misses: CounterSeries }>();
  private readonly cacheLookups: (model: string) => { hits: CounterSeries; misses: CounterSeries };
  private readonly refusals = new Map<string, CounterSeries>();
  private readonly refusalCounter: DeferredCounter<"policy" | "outcome">;

  constructor(
    registry: Registry,
    private readonly agents: AgentLabels,
  ) {
    const modelLabels = ["model", "provider"] as const;
    const runs = new DeferredCounter(registry, {
      name: "palyra_runs_total",
      help: "Runs ended, by the model and provider that served them and status",
      labelNames: [...modelLabels, "status"],
    });
    const duration = new DeferredHistogram(registry, {
      name: "palyra_run_duration_seconds",
      help: "Run duration from admission to its recorded end",
      buckets: durationBuckets,
    });
    const firstToken = new DeferredHistogram(registry, {
      name: "palyra_run_time_to_first_token_seconds",
      help: "Time from a run's admission to its first output",
      buckets: firstTokenBuckets,
    });
    const tokens = new DeferredCounter(registry, {
      name: "palyra_tokens_total",
      help: "Tokens runs were charged, by type (input, output, cached input)",
      labelNames: [...modelLabels, "agent", "type"],
    });
    const cost = new DeferredCounter(registry, {
      name: "palyra_cost_usd_total",
      help: "USD runs were charged (the ledger's cost)",
      labelNames: [...modelLabels, "agent"],
    });
    const cacheHits = new DeferredCounter(registry, {
      name: "palyra_response_cache_hits_total",
      help: "Chat runs answered from the response cache",
      labelNames: ["model"],
    });
    const cacheMisses = new DeferredCounter(registry, {
      name: "palyra_response_cache_misses_total",
      help: "Cacheable chat runs the response cache could not answer",
      labelNames: ["model"],
    });
    const retries = new DeferredCounter(registry, {
      name: "palyra_retries_total",
      help: "Failed upstream attempts retried on the same model",
      labelNames: modelLabels,
    });
    const failovers = new DeferredCounter(registry, {
      name: "palyra_failovers_total",
      help: "Runs moved on to the next candidate, by the model and provider they left",
      labelNames: modelLabels,
    });
    this.refusalCounter = new DeferredCounter(registry, {
      name: "palyra_budget_refusals_total",
      help: "Requests refused by budgets, by policy and outcome (blocked, or held for approval)",
      labelNames: ["policy", "outcome"],
    });
    this.models = new SeriesCache((model, provider) => {
      const byStatus = new Map<string, CounterSeries>();
      for (const status of ["succeeded", "failed", "cancelled"]) byStatus.set(status, runs.series({ model, provider, status }));
      return {
        duration: duration.series({ model, provider }),
        firstToken: firstToken.series({ model, provider }),
        byStatus,
        byAgent: new Map(),
        makeAgent: (agent) => ({
          input: tokens.series({ model, provider, agent, type: "input" }),
          output: tokens.series({ model, provider, agent, type: "output" }),
          cached: tokens.series({ model, provider, agent, type: "cached" }),
          costUsd: cost.series({ model, provider, agent }),
        }),
        retries: retries.series({ model, provider }),
        failovers: failovers.series({ model, provider }),
      };
    });
    this.cacheLookups = (model) => ({ hits: cacheHits.series({ model }), misses: cacheMisses.series({ model }) });
  }

  runEnded(end: RunEnd, agentId: string | undefined): void {
    const { modelId, providerId } = end.servedBy;
    const series = this.models.get(modelId, providerId);
    const status = series.byStatus.get(end.status);
    if (status !== undefined) status.pending++;
    series.duration.observe((end.finishedAt - end.startedAt) / 1000);
    if (end.firstOutputMs !== undefined) series.firstToken.observe(end.firstOutputMs / 1000);
    const label = this.agents.labelOf(agentId);
    const agent = cached(series.byAgent, label, series.makeAgent);
    if (end.usage !== undefined) {
      agent.input.pending += end.usage.inputTokens;
      agent.output.pending += end.usage.outputTokens;
      agent.cached.pending += end.usage.cachedInputTokens;
    }
    agent.costUsd.pending += end.cost.costUsd;
  }

  attemptFailed(providerId: string, modelId: string, next: "retry" | "failover" | "give_up"): void {
    if (next === "give_up") return;
    const series = this.models.get(modelId, providerId);
    (next === "retry" ? series.retries : series.failovers).pending++;
  }

  cacheLookup(modelId: string, hit: boolean): void {
    const series = cached(this.cacheByModel, modelId, this.cacheLookups);
    (hit ? series.hits : series.misses).pending++;
  }

  refused(policyId: string, outcome: "blocked" | "held"): void {
    // Policy ids are the operator's (config and UsageService), so bounded; refusals are rare.
    const key = outcome === "blocked" ? policyId : `${policyId}\u0000held`;
    const series = cached(this.refusals, key, () => this.refusalCounter.series({ policy: policyId, outcome }));
    series.pending++;
  }
}

/** The map's value for key, made (and kept) on first use. */
function cached<V>(map: Map<string, V>, key: string, make: (key: string) => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make(key);
    map.set(key, value);
  }
  return value;
}
