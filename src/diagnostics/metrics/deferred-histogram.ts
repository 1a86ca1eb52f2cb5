import type { MetricValueWithName, Registry } from "prom-client";

/** What a registry reads of a metric at scrape time. */
export interface MetricReading {
  name: string;
  help: string;
  type: "histogram";
  values: MetricValueWithName<string>[];
  aggregator: "sum";
}

/**
 * One labelled series of a DeferredHistogram: per-bucket counts (not cumulative; the last slot is
 * above every bound), their sum and count. `observe` is a scan over a dozen bounds and two adds.
 */
export class HistogramSeries {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    private readonly bounds: Float64Array,
    readonly labels: Readonly<Record<string, string>>,
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const { bounds } = this;
    let slot = 0;
    while (slot < bounds.length && value > (bounds[slot] as number)) slot++;
    this.counts[slot] = (this.counts[slot] as number) + 1;
    this.sum += value;
    this.count++;
  }
}

/**
 * A Prometheus histogram for the request path. prom-client's Histogram hashes the label values and
 * builds objects on every observation (~300-500 ns); here a caller keeps the series it made once and
 * observes into plain arrays (~10 ns), and the registry renders them at scrape time through this
 * object's `get` (prom-client's metric interface: name, help, type, values), in the format its own
 * histograms use: cumulative `_bucket{le}`, `_sum`, `_count`.
 */
export class DeferredHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = "histogram";
  readonly aggregator = "sum";
  private readonly bounds: Float64Array;
  private readonly boundLabels: string[];
  private readonly made: HistogramSeries[] = [];

  constructor(registry: Registry, options: { name: string; help: string; buckets: readonly number[] }) {
    this.name = options.name;
    this.help = options.help;
    this.bounds = Float64Array.from([...options.buckets].sort((a, b) => a - b));
    this.boundLabels = [...this.bounds].map(String);
    registry.registerMetric(this as never);
  }

  /** A new series for these label values; the caller keeps it (make one per distinct value set). */
  series(labels: Record<string, string>): HistogramSeries {
    const series = new HistogramSeries(this.bounds, labels);
    this.made.push(series);
    return series;
  }

  /** The registry's read at scrape time. */
  get(): Promise<MetricReading> {
    const values: MetricValueWithName<string>[] = [];
    for (const series of this.made) {
      let cumulative = 0;
      for (const [slot, le] of this.boundLabels.entries()) {
        cumulative += series.counts[slot] as number;
        values.push({ metricName: `${this.name}_bucket`, labels: { le, ...series.labels }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_bucket`, labels: { le: "+Inf", ...series.labels }, value: series.count });
      values.push({ metricName: `${this.name}_sum`, labels: series.labels, value: series.sum });
      values.push({ metricName: `${this.name}_count`, labels: series.labels, value: series.count });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: "histogram", values, aggregator: "sum" });
  }

  /** Registry.resetMetrics: every series back to zero. */
  reset(): void {
    for (const series of this.made) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }
}
