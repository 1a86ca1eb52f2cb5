import { Counter, type Registry } from "prom-client";

/** One labelled series of a DeferredCounter: the request path adds to `pending`. */
export interface CounterSeries {
  pending: number;
}

/**
 * A prom-client Counter for the request path. prom-client's own `inc` hashes the label values on
 * every call (~250 ns, even on a cached child); here a caller keeps the series it made once and
 * adds to a field (~1 ns), and the sums move into the Counter when it is scraped (its collect), so
 * every scrape is exact. Series are made by callers that cache them per label values, so their
 * number is the labels' cardinality, which callers bound.
 */
export class DeferredCounter<L extends string> {
  private readonly counter: Counter<L>;
  private readonly made: Array<{ labels: Record<L, string>; series: CounterSeries }> = [];

  constructor(registry: Registry, options: { name: string; help: string; labelNames: readonly L[] }) {
    const flush = () => this.flush();
    this.counter = new Counter<L>({ ...options, registers: [registry], collect: flush });
  }

  /** A new series for these label values; the caller keeps it (make one per distinct value set). */
  series(labels: Record<L, string>): CounterSeries {
    const series: CounterSeries = { pending: 0 };
    this.made.push({ labels, series });
    // Exposed (at 0) from the first scrape on, so a rate over it starts at its first event.
    this.counter.inc(labels as never, 0);
    return series;
  }

  private flush(): void {
    for (const { labels, series } of this.made) {
      if (series.pending === 0) continue;
      this.counter.inc(labels as never, series.pending);
      series.pending = 0;
    }
  }
}

/** Nested maps from label values to a cached value: lookups without building a key string. */
export class SeriesCache<T> {
  private readonly root = new Map<string, Map<string, T>>();

  constructor(private readonly make: (a: string, b: string) => T) {}

  get(a: string, b: string): T {
    let inner = this.root.get(a);
    if (inner === undefined) {
      inner = new Map();
      this.root.set(a, inner);
    }
    let value = inner.get(b);
    if (value === undefined) {
      value = this.make(a, b);
      inner.set(b, value);
    }
    return value;
  }
}
