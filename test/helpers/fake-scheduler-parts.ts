import type { TimerSource } from "../../src/automation/timer-source.js";
import type { Caller } from "../../src/identity/caller.js";
import type { RunEngine } from "../../src/runs/run-engine.js";
import type { RunEvent } from "../../src/runs/run-events.js";
import type { GatewayError } from "../../src/shared/errors.js";
import type { RunInput } from "../../src/shared/run-input.js";
import type { ManualClock } from "./manual-clock.js";

/** Timers on a manual clock: nothing fires until the test moves the clock past it. */
export class FakeTimers implements TimerSource {
  private readonly pending = new Set<{ dueAt: number; fire: () => void }>();

  constructor(private readonly clock: ManualClock) {}

  set(fire: () => void, delayMs: number): () => void {
    const timer = { dueAt: this.clock.now() + delayMs, fire };
    this.pending.add(timer);
    return () => this.pending.delete(timer);
  }

  /** The earliest armed timer's due time. */
  get nextDueAt(): number | undefined {
    const dues = [...this.pending].map((timer) => timer.dueAt);
    return dues.length === 0 ? undefined : Math.min(...dues);
  }

  get armed(): number {
    return this.pending.size;
  }

  /** Moves the clock to `time` and fires every timer due by then. */
  advanceTo(time: number): void {
    this.clock.advance(time - this.clock.now());
    for (const timer of [...this.pending].sort((a, b) => a.dueAt - b.dueAt)) {
      if (timer.dueAt > time) continue;
      this.pending.delete(timer);
      timer.fire();
    }
  }
}

export interface FakeRun {
  runId: string;
  input: RunInput;
  caller: Caller;
  cancelReason: string | undefined;
  /** Ends the run with this terminal event. */
  end(event: Extract<RunEvent, { type: "completed" | "failed" | "cancelled" }>): void;
}

/** A run engine whose runs last until the test ends them; `refuse` makes start() throw (a budget refusal). */
export class FakeEngine {
  readonly runs: FakeRun[] = [];
  refuse: GatewayError | undefined;
  private readonly startWaiters: ((run: FakeRun) => void)[] = [];
  private readonly unclaimed: FakeRun[] = [];

  /** The next run to start (or the oldest that started and nobody awaited yet). */
  nextStart(): Promise<FakeRun> {
    const started = this.unclaimed.shift();
    if (started) return Promise.resolve(started);
    return new Promise((resolve) => this.startWaiters.push(resolve));
  }

  asEngine(): RunEngine {
    return this as unknown as RunEngine;
  }

  async start(input: RunInput, caller: Caller) {
    if (this.refuse) throw this.refuse;
    const runId = `run-${this.runs.length + 1}`;
    let finish!: (event: RunEvent) => void;
    const ended = new Promise<RunEvent>((resolve) => {
      finish = resolve;
    });
    const run: FakeRun = { runId, input, caller, cancelReason: undefined, end: (event) => finish(event) };
    this.runs.push(run);
    const waiter = this.startWaiters.shift();
    if (waiter) waiter(run);
    else this.unclaimed.push(run);
    async function* events(): AsyncGenerator<RunEvent> {
      yield await ended;
    }
    return {
      runId,
      events: events(),
      cancel: (reason: string) => {
        run.cancelReason = reason;
        finish({ type: "cancelled", reason });
      },
      detach: () => {},
    };
  }

  async recorded() {
    return undefined;
  }
}

export const usage = { inputTokens: 7, outputTokens: 3, cachedInputTokens: 0, cacheWriteTokens: 0, estimated: false };

export function completed(text = "done"): Extract<RunEvent, { type: "completed" }> {
  return {
    type: "completed",
    finishReason: "stop",
    usage,
    modelId: "palyra-echo",
    providerId: "local",
    attempts: 1,
    text,
    toolCalls: [],
    costUsd: 0.5,
    costEstimated: false,
  };
}
