import type { GatewayError } from "../shared/errors.js";
import type { TaskRow, TaskRowUpdate } from "../store/automation-tables.js";
import { type BackgroundRunOutcome, isTransientFailure } from "./run-to-end.js";
import { wasStalled } from "./stall-watch.js";

/** A retry waits base × 2^(attempt-1), at most this long. */
export const maxRetryBackoffMs = 10 * 60_000;
/** A task whose run stalled is put back in the queue this many times, then failed. */
export const maxStallRequeues = 1;

export interface TaskEndContext {
  /** The attempt that just ended (1 for the first). */
  attempt: number;
  now: number;
  retryBackoffMs: number;
  /** Set when the task was cancelled (by its caller or its parent run) while this attempt ran. */
  cancelReason: string | undefined;
  /** The daemon is stopping: a run it refused or cancelled is not the task's fault. */
  stopping: boolean;
}

export const parentCancelledReason = (parentRunId: string) => `the parent run ${parentRunId} was cancelled`;

/** The outcome of an attempt that never became a run (refused, or cancelled before it started). */
export function refusedOutcome(error: GatewayError): BackgroundRunOutcome {
  const status = error.kind === "cancelled" ? "cancelled" : "failed";
  return { runId: undefined, status, text: "", usage: undefined, costUsd: 0, costEstimated: false, error };
}

/** The wait before attempt `attempt + 1`: doubling per attempt, capped at 10 minutes. */
export function retryDelayMs(attempt: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempt - 1), maxRetryBackoffMs);
}

/**
 * How a task's row changes once an attempt's run ended: finished (succeeded, failed, cancelled) or back
 * in the queue (a transient failure with attempts left, a first stall, a run the stopping daemon
 * refused). Usage and cost add up over attempts; run id and text are the last attempt's.
 */
export function taskEndPatch(task: TaskRow, outcome: BackgroundRunOutcome, context: TaskEndContext): TaskRowUpdate {
  const { now, attempt } = context;
  const result: TaskRowUpdate = {
    heartbeat_at: null,
    run_id: outcome.runId ?? task.run_id,
    result_text: outcome.status === "succeeded" ? outcome.text : task.result_text,
    input_tokens: Number(task.input_tokens) + (outcome.usage?.inputTokens ?? 0),
    output_tokens: Number(task.output_tokens) + (outcome.usage?.outputTokens ?? 0),
    cost_usd: Number(task.cost_usd) + outcome.costUsd,
    cost_estimated: task.cost_estimated === 1 || outcome.costEstimated ? 1 : 0,
  };
  const finish = (state: "succeeded" | "failed" | "cancelled", errorKind: string | null, message: string | null): TaskRowUpdate => ({
    ...result,
    state,
    finished_at: now,
    error_kind: errorKind,
    error_message: message,
  });
  const requeue = (notBefore: number, patch: TaskRowUpdate = {}): TaskRowUpdate => ({ ...result, state: "queued", not_before: notBefore, ...patch });
  const error = outcome.error;

  if (outcome.status === "succeeded") return finish("succeeded", null, null);
  if (context.cancelReason !== undefined) return finish("cancelled", "cancelled", context.cancelReason);
  // Refused because the daemon is stopping: the attempt never ran, so it is not spent.
  if (context.stopping && outcome.runId === undefined) return requeue(task.not_before, { attempts: attempt - 1 });
  if (outcome.status === "cancelled" && wasStalled(error)) {
    if (task.requeues < maxStallRequeues) {
      return requeue(now, { requeues: task.requeues + 1, error_kind: "stalled", error_message: error?.message ?? null });
    }
    return finish("failed", "stalled", `${error?.message ?? "stalled"} (already requeued ${task.requeues} time${task.requeues === 1 ? "" : "s"})`);
  }
  if (context.stopping && outcome.status === "cancelled") {
    return finish("failed", "interrupted", "the daemon stopped before the task finished (its run was cancelled)");
  }
  if (outcome.status === "cancelled") return finish("cancelled", "cancelled", error?.message ?? "cancelled");
  if (isTransientFailure(error) && attempt < task.max_attempts) {
    const notBefore = now + retryDelayMs(attempt, context.retryBackoffMs);
    // A retry that could not start before the task expires would only expire: fail with the real cause.
    if (task.expires_at === null || notBefore < Number(task.expires_at)) {
      return requeue(notBefore, { error_kind: error?.kind ?? null, error_message: error?.message ?? null });
    }
  }
  return finish("failed", error?.kind ?? "internal", error?.message ?? "the run failed");
}
