import { collectDefaultMetrics, Registry } from "prom-client";
import type { JobRunStatus } from "../../store/automation-tables.js";
import { AgentLabels } from "./agent-labels.js";
import { type CounterSeries, DeferredCounter } from "./deferred-counter.js";
import { RequestMetrics } from "./request-metrics.js";
import { RunMetrics } from "./run-metrics.js";
import { registerScrapeGauges, type ScrapeSources } from "./scrape-gauges.js";

export interface GatewayMetricsOptions extends ScrapeSources {
  /** [metrics] top_agents: agents with their own label on cost and token series. */
  topAgents: number;
  /** Agents to label first (the ledger's busiest at start-up), in order. */
  seededAgents?: readonly string[];
}

/**
 * The daemon's Prometheus metrics in a registry of its own (never prom-client's global one): the
 * observers the cores are given (runs, budgets, job runs), the HTTP and RPC counters, the gauges
 * read at scrape time, and the default process metrics. `scrape` renders the text format.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  /** The run engine's RunObserver and budgets' BudgetObserver. */
  readonly runs: RunMetrics;
  /** HTTP requests and RPC calls. */
  readonly requests: RequestMetrics;
  private readonly jobRuns = new Map<string, CounterSeries>();
  private readonly jobRunCounter: DeferredCounter<"status">;

  constructor(options: GatewayMetricsOptions) {
    collectDefaultMetrics({ register: this.registry });
    this.runs = new RunMetrics(this.registry, new AgentLabels(options.topAgents, options.seededAgents));
    this.requests = new RequestMetrics(this.registry);
    this.jobRunCounter = new DeferredCounter(this.registry, {
      name: "palyra_scheduled_runs_total",
      help: "Scheduled job runs ended, by the status recorded (skips included)",
      labelNames: ["status"],
    });
    registerScrapeGauges(this.registry, options);
  }

  /** The scheduler's onJobRunEnded. */
  readonly jobRunEnded = (status: JobRunStatus): void => {
    let series = this.jobRuns.get(status);
    if (series === undefined) {
      series = this.jobRunCounter.series({ status });
      this.jobRuns.set(status, series);
    }
    series.pending++;
  };

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every series in the Prometheus text format. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }
}
