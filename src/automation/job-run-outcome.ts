import type { JobRunRowUpdate, JobRunStatus } from "../store/automation-tables.js";
import type { BackgroundRunOutcome } from "./run-to-end.js";
import { stalledReason, wasStalled } from "./stall-watch.js";

/**
 * How a tick's run is recorded. A budget refusal is a skip (the job did nothing, and retrying would
 * only be refused again), carrying the budget's message, which names the policy.
 */
export function jobRunEnd(outcome: BackgroundRunOutcome, finishedAt: number): JobRunRowUpdate & { status: JobRunStatus } {
  const error = outcome.error;
  let status: JobRunStatus = outcome.status;
  let reason: string | null = null;
  if (outcome.status === "cancelled") reason = wasStalled(error) ? stalledReason : "cancelled";
  else if (outcome.status === "failed" && error?.kind === "budget_exceeded" && outcome.runId === undefined) {
    status = "skipped";
    reason = "budget_exceeded";
  } else if (outcome.status === "failed") reason = error?.kind ?? "internal";
  return {
    status,
    reason,
    message: error?.message ?? null,
    finished_at: finishedAt,
    heartbeat_at: null,
    ...(outcome.runId !== undefined && { run_id: outcome.runId }),
    input_tokens: outcome.usage?.inputTokens ?? 0,
    output_tokens: outcome.usage?.outputTokens ?? 0,
    cost_usd: outcome.costUsd,
    cost_estimated: outcome.costEstimated ? 1 : 0,
  };
}
