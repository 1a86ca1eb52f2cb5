import type { Kysely } from "kysely";
import type { RunEngine } from "../runs/run-engine.js";
import { toGatewayError } from "../shared/errors.js";
import type { Logger } from "../shared/logger.js";
import type { CronJobRow, JobRunRow, JobRunStatus } from "../store/automation-tables.js";
import { updateJobRun } from "../store/job-runs-repository.js";
import type { Database } from "../store/tables.js";
import { throttledHeartbeat } from "./heartbeat.js";
import { jobRunEnd } from "./job-run-outcome.js";
import type { OwnerCaller } from "./owner-caller.js";
import { runInputOf, runSpecFromJson } from "./run-spec.js";
import { type BackgroundRunOutcome, runToEnd } from "./run-to-end.js";
import { executeSystemJobRun } from "./system-job-run.js";
import type { SystemJobRegistry } from "./system-jobs.js";

export interface JobRunExecutionDeps {
  db: Kysely<Database>;
  engine: RunEngine;
  ownerCaller: OwnerCaller;
  logger: Logger;
  now: () => number;
  /** The least time between two heartbeat writes of one job run. */
  heartbeatIntervalMs: number;
  /** Handlers of the system jobs (source "system"): their ticks call these instead of starting a run. */
  systemJobs?: SystemJobRegistry | undefined;
}

/** A job run row as a tick records it: running (its run to come) or skipped (with why). */
export function jobRunRow(
  fields: { jobRunId: string; jobId: string; tickAt: number; attempt: number; now: number },
  status: Extract<JobRunStatus, "running" | "skipped">,
  why?: { reason: string; message: string },
): JobRunRow {
  return {
    job_run_id: fields.jobRunId,
    job_id: fields.jobId,
    tick_at: fields.tickAt,
    attempt: fields.attempt,
    run_id: null,
    status,
    reason: why?.reason ?? null,
    message: why?.message ?? null,
    started_at: fields.now,
    finished_at: status === "skipped" ? fields.now : null,
    heartbeat_at: null,
    input_tokens: 0,
    output_tokens: 0,
    cost_usd: 0,
    cost_estimated: 0,
  };
}

/**
 * Runs one job run's run to its end, as the job's owner would call now, and records the end: the run
 * id once admitted, heartbeats while it makes progress (throttled), then status, reason, usage and cost.
 * `onCancel` receives the run's cancel once the engine admitted it. Never throws for the run's sake:
 * a revoked owner or an unreadable spec is a failed job run. A system job's tick calls its handler instead.
 */
export async function executeJobRun(
  deps: JobRunExecutionDeps,
  job: CronJobRow,
  row: JobRunRow,
  onCancel: (cancel: (reason: string) => void) => void,
): Promise<BackgroundRunOutcome & { recorded: JobRunStatus }> {
  if (job.source === "system") return executeSystemJobRun(deps, deps.systemJobs?.get(job.job_id), row, onCancel);
  const { db, logger } = deps;
  const beat = throttledHeartbeat((at) => updateJobRun(db, row.job_run_id, { heartbeat_at: at }), {
    intervalMs: deps.heartbeatIntervalMs,
    now: deps.now,
    onError: (error) => logger.warn({ err: error, jobRunId: row.job_run_id }, "job run heartbeat failed"),
  });
  let outcome: BackgroundRunOutcome;
  try {
    const caller = await deps.ownerCaller(job.owner);
    const input = runInputOf(runSpecFromJson(job.run_spec), job.agent_id ?? undefined, `cron:${job.job_id}:${row.job_run_id}`);
    outcome = await runToEnd(deps.engine, input, caller, {
      onStart: (runId, cancel) => {
        onCancel(cancel);
        updateJobRun(db, row.job_run_id, { run_id: runId, heartbeat_at: deps.now() }).catch((error: unknown) =>
          logger.warn({ err: error, jobRunId: row.job_run_id }, "could not record a job run's run id"),
        );
      },
      onProgress: beat,
    });
  } catch (error) {
    outcome = { runId: undefined, status: "failed", text: "", usage: undefined, costUsd: 0, costEstimated: false, error: toGatewayError(error) };
  }
  const end = jobRunEnd(outcome, deps.now());
  await updateJobRun(db, row.job_run_id, end);
  return { ...outcome, recorded: end.status };
}
