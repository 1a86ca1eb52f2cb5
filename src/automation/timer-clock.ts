/** Time for the background queue: what time it is, and one-shot timers. Tests pass a clock they move by hand. */
export interface TimerClock {
  now(): number;
  /** Calls `fn` once after `delayMs`; the returned function cancels it. */
  setTimer(fn: () => void, delayMs: number): () => void;
}

/** setTimeout's longest delay; a later instant is reached by re-arming. */
const maxTimerDelayMs = 2 ** 31 - 1;

export const systemTimerClock: TimerClock = {
  now: () => Date.now(),
  setTimer(fn, delayMs) {
    const timer = setTimeout(fn, Math.min(Math.max(0, delayMs), maxTimerDelayMs));
    // A pending wake-up never keeps the process alive on its own.
    timer.unref();
    return () => clearTimeout(timer);
  },
};
