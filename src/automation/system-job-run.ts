import type { Kysely } from "kysely";
import { clip } from "../shared/clip.js";
import { GatewayError, toGatewayError } from "../shared/errors.js";
import type { Logger } from "../shared/logger.js";
import type { JobRunRow, JobRunRowUpdate, JobRunStatus } from "../store/automation-tables.js";
import { updateJobRun } from "../store/job-runs-repository.js";
import type { Database } from "../store/tables.js";
import { throttledHeartbeat } from "./heartbeat.js";
import type { BackgroundRunOutcome } from "./run-to-end.js";
import { stalledReason, wasStalled } from "./stall-watch.js";
import type { SystemJob, SystemJobResult } from "./system-jobs.js";

/** Job run messages are shown in tables and kept per tick: long enough for counts, short enough to store. */
const maxMessageChars = 2000;

/**
 * Calls a system job's handler for one job run and records its end. Never throws for the handler's
 * sake: a throw is a failed job run carrying the error (a budget refusal is a skip, reason
 * budget_exceeded, as for a prompt job), and a missing handler is a failed one too.
 */
export interface SystemJobRunDeps {
  db: Kysely<Database>;
  logger: Logger;
  now: () => number;
  /** The least time between two heartbeat writes of one job run. */
  heartbeatIntervalMs: number;
}

export async function executeSystemJobRun(
  deps: SystemJobRunDeps,
  job: SystemJob | undefined,
  row: JobRunRow,
  onCancel: (cancel: (reason: string) => void) => void,
): Promise<BackgroundRunOutcome & { recorded: JobRunStatus }> {
  const { db, logger } = deps;
  const controller = new AbortController();
  onCancel((reason) => controller.abort(reason));
  const progress = throttledHeartbeat((at) => updateJobRun(db, row.job_run_id, { heartbeat_at: at }), {
    intervalMs: deps.heartbeatIntervalMs,
    now: deps.now,
    onError: (error) => logger.warn({ err: error, jobRunId: row.job_run_id }, "system job heartbeat failed"),
  });
  let end: JobRunRowUpdate & { status: JobRunStatus };
  let outcome: BackgroundRunOutcome;
  try {
    if (job === undefined) throw new Error(`no handler is registered for system job ${row.job_id}`);
    const result = await job.handler(controller.signal, progress);
    end = succeededEnd(result, deps.now());
    outcome = {
      runId: undefined,
      status: "succeeded",
      text: result.message,
      usage: undefined,
      costUsd: result.costUsd ?? 0,
      costEstimated: false,
      error: undefined,
    };
  } catch (caught) {
    // A handler aborted by its signal (the watchdog, the shutdown) ends cancelled with the abort's reason.
    const error = controller.signal.aborted ? new GatewayError("cancelled", String(controller.signal.reason)) : toGatewayError(caught);
    const status: JobRunStatus = error.kind === "cancelled" ? "cancelled" : error.kind === "budget_exceeded" ? "skipped" : "failed";
    const reason = status === "cancelled" ? (wasStalled(error) ? stalledReason : "cancelled") : error.kind;
    if (status === "failed") logger.warn({ err: error, jobId: row.job_id, jobRunId: row.job_run_id }, "a system job failed");
    end = { status, reason, message: clip(error.message, maxMessageChars), finished_at: deps.now(), heartbeat_at: null };
    outcome = {
      runId: undefined,
      status: status === "cancelled" ? "cancelled" : "failed",
      text: "",
      usage: undefined,
      costUsd: 0,
      costEstimated: false,
      error,
    };
  }
  await updateJobRun(db, row.job_run_id, end);
  return { ...outcome, recorded: end.status };
}

function succeededEnd(result: SystemJobResult, finishedAt: number): JobRunRowUpdate & { status: JobRunStatus } {
  return {
    status: result.skippedReason === undefined ? "succeeded" : "skipped",
    reason: result.skippedReason ?? null,
    message: clip(result.message, maxMessageChars),
    finished_at: finishedAt,
    heartbeat_at: null,
    input_tokens: result.usage?.inputTokens ?? 0,
    output_tokens: result.usage?.outputTokens ?? 0,
    cost_usd: result.costUsd ?? 0,
    cost_estimated: result.costEstimated ? 1 : 0,
  };
}
