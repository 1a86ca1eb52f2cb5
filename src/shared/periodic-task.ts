/** A background job that runs every interval until stopped. */
export interface PeriodicTask {
  /** Cancels the next run and aborts the one under way, if any; resolves once it has settled. */
  stop(): Promise<void>;
}

/**
 * Runs `task` every `intervalMs`, the first time one interval after starting. The next run is
 * scheduled only when the previous one has finished, so runs never overlap however slow a run is.
 * The timer is unref'd: a pending run never keeps the process alive. Errors go to `onError`.
 */
export function startPeriodicTask(task: (signal: AbortSignal) => Promise<void>, intervalMs: number, onError: (error: unknown) => void): PeriodicTask {
  const stopped = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const schedule = () => {
    if (stopped.signal.aborted) return;
    timer = setTimeout(run, intervalMs);
    timer.unref();
  };
  const run = () => {
    timer = undefined;
    running = Promise.resolve()
      .then(() => task(stopped.signal))
      .catch(onError)
      .finally(() => {
        running = undefined;
        schedule();
      });
  };

  schedule();
  return {
    async stop() {
      stopped.abort();
      if (timer !== undefined) clearTimeout(timer);
      await running;
    },
  };
}
