/** Where the scheduler's and the task queue's one timer comes from: real timers in the daemon, a fake in unit tests. */
export interface TimerSource {
  /** Calls `fire` once after `delayMs`; the returned function cancels it. */
  set(fire: () => void, delayMs: number): () => void;
}

/** A timer source with the time it reads: the task queue takes both from one place, so tests move them together. */
export interface TimerClock extends TimerSource {
  now(): number;
}

// setTimeout takes at most 2^31-1 ms (~24.8 days); a later instant is re-armed when this one fires.
const maxDelayMs = 2 ** 31 - 1;

export const realTimers: TimerSource = {
  set(fire, delayMs) {
    const timer = setTimeout(fire, Math.max(0, Math.min(delayMs, maxDelayMs)));
    // A pending wake-up never keeps the process alive on its own.
    timer.unref();
    return () => clearTimeout(timer);
  },
};

export const systemTimerClock: TimerClock = { now: () => Date.now(), set: realTimers.set };
