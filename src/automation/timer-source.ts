/** Where the scheduler's one timer comes from: real timers in the daemon, a fake in unit tests. */
export interface TimerSource {
  /** Calls `fire` once after `delayMs`; the returned function cancels it. */
  set(fire: () => void, delayMs: number): () => void;
}

// setTimeout takes at most 2^31-1 ms (~24.8 days); a later tick is re-armed when this one fires.
const maxDelayMs = 2 ** 31 - 1;

export const realTimers: TimerSource = {
  set(fire, delayMs) {
    const timer = setTimeout(fire, Math.max(0, Math.min(delayMs, maxDelayMs)));
    // The scheduler never keeps the process alive on its own.
    timer.unref();
    return () => clearTimeout(timer);
  },
};
