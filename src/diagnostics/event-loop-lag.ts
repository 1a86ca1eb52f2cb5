import { type IntervalHistogram, monitorEventLoopDelay } from "node:perf_hooks";

/** Event-loop delay in milliseconds since the monitor started. */
export interface EventLoopLag {
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * Samples the event loop's delay from start() to stop(): one histogram for the daemon's life (the
 * sampling timer costs one wake-up every `resolutionMs`, nothing per request).
 */
export class EventLoopLagMonitor {
  private histogram: IntervalHistogram | undefined;

  constructor(private readonly resolutionMs = 20) {}

  start(): void {
    if (this.histogram !== undefined) return;
    this.histogram = monitorEventLoopDelay({ resolution: this.resolutionMs });
    this.histogram.enable();
  }

  stop(): void {
    this.histogram?.disable();
    this.histogram = undefined;
  }

  /** Zeros before start() or before the first sample. */
  lag(): EventLoopLag {
    const histogram = this.histogram;
    if (histogram === undefined || histogram.count === 0) return { meanMs: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 };
    // The histogram counts nanoseconds.
    const ms = (ns: number) => ns / 1e6;
    return { meanMs: ms(histogram.mean), p50Ms: ms(histogram.percentile(50)), p99Ms: ms(histogram.percentile(99)), maxMs: ms(histogram.max) };
  }
}
