/**
 * A heartbeat that writes at most once per `intervalMs`, however often it is called: job runs and
 * tasks beat on every event of their run, and only one call in each interval reaches the store.
 * Write failures are handed to `onError` and never break the run.
 */
export function throttledHeartbeat(
  write: (at: number) => Promise<void>,
  options: { intervalMs: number; now: () => number; onError: (error: unknown) => void },
): () => void {
  let lastWrite = Number.NEGATIVE_INFINITY;
  return () => {
    const at = options.now();
    if (at - lastWrite < options.intervalMs) return;
    lastWrite = at;
    write(at).catch(options.onError);
  };
}

/** Runs beat at most every 5 s, and often enough that a healthy run never looks stalled between beats. */
export function heartbeatIntervalMs(stallAfterMs: number): number {
  return Math.max(250, Math.min(5_000, Math.floor(stallAfterMs / 4)));
}
