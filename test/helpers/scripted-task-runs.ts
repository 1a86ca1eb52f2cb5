import type { BackgroundRunOutcome } from "../../src/automation/run-to-end.js";
import type { TaskRuns } from "../../src/automation/task-runs.js";
import type { TimerClock } from "../../src/automation/timer-source.js";
import type { Caller } from "../../src/identity/caller.js";
import type { RunEndListener } from "../../src/runs/run-engine.js";
import { GatewayError } from "../../src/shared/errors.js";
import type { RunInput } from "../../src/shared/run-input.js";
import type { RunStatus } from "../../src/store/tables.js";

/** A clock whose timers fire only when the test moves it; it keeps every timer set, to see how the queue sleeps. */
export class ManualTimerClock implements TimerClock {
  private readonly timers = new Set<{ at: number; fn: () => void }>();
  constructor(private current = 1_800_000_000_000) {}

  readonly now = (): number => this.current;

  set(fn: () => void, delayMs: number): () => void {
    const timer = { at: this.current + Math.max(0, delayMs), fn };
    this.timers.add(timer);
    return () => this.timers.delete(timer);
  }

  /** When the pending timers fire, earliest first. */
  get pending(): number[] {
    return [...this.timers].map((timer) => timer.at).sort((a, b) => a - b);
  }

  /** Moves time on and fires the timers now due. */
  advance(ms: number): void {
    this.current += ms;
    for (const timer of [...this.timers].filter((t) => t.at <= this.current)) {
      this.timers.delete(timer);
      timer.fn();
    }
  }
}

export interface ScriptedRun {
  runId: string;
  prompt: string;
  caller: Caller;
  at: number;
  cancelledWith: string | undefined;
}

/** How a scripted run ends: an outcome at once, "hang" until it is cancelled, or refused before admission (no run). */
export type RunScript = (run: ScriptedRun, attempt: number) => BackgroundRunOutcome | "hang" | { refused: GatewayError };

export const succeeded = (text: string): BackgroundRunOutcome => ({
  runId: undefined,
  status: "succeeded",
  text,
  usage: { inputTokens: 3, outputTokens: 2, cachedInputTokens: 0, cacheWriteTokens: 0, estimated: false },
  costUsd: 0.5,
  costEstimated: false,
  error: undefined,
});

export const failed = (error: GatewayError): BackgroundRunOutcome => ({
  runId: undefined,
  status: error.kind === "cancelled" ? "cancelled" : "failed",
  text: "",
  usage: undefined,
  costUsd: 0,
  costEstimated: false,
  error,
});

/** The run engine as the queue sees it, with runs that end as the test's script says. */
export class ScriptedTaskRuns implements TaskRuns {
  readonly runs: ScriptedRun[] = [];
  readonly ledger = new Map<string, { callerId: string; status: RunStatus }>();
  private readonly listeners: RunEndListener[] = [];
  private readonly attempts = new Map<string, number>();
  private readonly cancels = new Map<string, (reason: string) => void>();

  constructor(
    private readonly clock: TimerClock,
    public script: RunScript = (run) => succeeded(run.prompt),
  ) {}

  async run(input: RunInput, caller: Caller, hooks: Parameters<TaskRuns["run"]>[2]): Promise<BackgroundRunOutcome> {
    const first = input.messages[0]?.parts[0];
    const prompt = first?.type === "text" ? first.text : "";
    const run: ScriptedRun = { runId: `run-${this.runs.length + 1}`, prompt, caller, at: this.clock.now(), cancelledWith: undefined };
    this.runs.push(run);
    const attempt = (this.attempts.get(prompt) ?? 0) + 1;
    this.attempts.set(prompt, attempt);
    const scripted = this.script(run, attempt);
    if (typeof scripted === "object" && "refused" in scripted) return failed(scripted.refused);
    this.ledger.set(run.runId, { callerId: caller.id, status: "running" });
    const cancelled = new Promise<BackgroundRunOutcome>((resolve) => {
      this.cancels.set(run.runId, (reason) => {
        run.cancelledWith ??= reason;
        resolve(failed(new GatewayError("cancelled", reason)));
      });
    });
    hooks.onStart?.(run.runId, (reason) => this.cancel(run.runId, reason));
    hooks.onProgress?.();
    const outcome = scripted === "hang" ? await cancelled : scripted;
    this.cancels.delete(run.runId);
    this.ledger.set(run.runId, { callerId: caller.id, status: outcome.status });
    return { ...outcome, runId: run.runId };
  }

  onRunEnd(listener: RunEndListener): void {
    this.listeners.push(listener);
  }

  async runInfo(runId: string) {
    return this.ledger.get(runId);
  }

  /** A run of someone else's (a parent) ends with `status`, as the engine would tell. */
  endRun(runId: string, status: RunStatus): void {
    const run = this.ledger.get(runId);
    if (run !== undefined) run.status = status;
    for (const listener of this.listeners) listener(runId, status as "succeeded");
  }

  /** Cancels a run in flight (as its task, the watchdog or the daemon's drain would). */
  cancel(runId: string, reason: string): void {
    this.cancels.get(runId)?.(reason);
  }

  /** The daemon's drain: every run in flight is cancelled. */
  cancelAll(reason: string): void {
    for (const runId of [...this.cancels.keys()]) this.cancel(runId, reason);
  }
}
