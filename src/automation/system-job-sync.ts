import type { Kysely } from "kysely";
import type { CronJobRow } from "../store/automation-tables.js";
import { deleteCronJob, findCronJob, insertCronJob, listSystemJobs, updateCronJob } from "../store/cron-jobs-repository.js";
import type { Database } from "../store/tables.js";
import type { SchedulerControl } from "./cron-jobs.js";
import { type DefinitionColumns, nextRunAt, sameSchedule } from "./job-definition.js";
import { runSpecToJson } from "./run-spec.js";
import type { SystemJob } from "./system-jobs.js";

/**
 * A system job's row: every `everyMs`, concurrency forbid (a slow tick is never doubled), misfire skip
 * (ticks missed while the daemon was down are not made up: the next tick does the same work), one
 * attempt per tick (a failed tick is retried by the next one, which the handler may back off).
 */
function systemColumns(job: SystemJob): DefinitionColumns {
  return {
    name: job.name,
    agent_id: null,
    enabled: 1,
    // Never run as a prompt (the scheduler calls the handler); it says what the job does where a prompt would show.
    run_spec: runSpecToJson({ prompt: `[system job] ${job.description}` }),
    schedule_kind: "every",
    cron_expression: null,
    timezone: null,
    every_ms: job.everyMs,
    at_ms: null,
    concurrency: "forbid",
    misfire: "skip",
    max_catch_up: 1,
    max_attempts: 1,
    backoff_ms: 0,
    jitter_ms: 0,
    max_runs: null,
  };
}

/**
 * Makes the stored system jobs match the registered ones (at start): each is upserted, owned by the
 * admin, source "system", keeping its next tick and history when its interval did not change; a
 * system job no longer registered (the audit without its handler) is removed with its history.
 * A runtime or config job holding a system job's id is taken over: the id is the daemon's.
 */
export async function syncSystemJobs(
  deps: { db: Kysely<Database>; scheduler: Pick<SchedulerControl, "wake" | "jobRemoved">; now: () => number },
  jobs: readonly SystemJob[],
): Promise<void> {
  const { db } = deps;
  const now = deps.now();
  for (const job of jobs) {
    const columns = systemColumns(job);
    const current = await findCronJob(db, job.jobId);
    if (current === undefined) {
      const base = { ...columns, created_at: now };
      await insertCronJob(db, {
        ...base,
        job_id: job.jobId,
        owner: "admin",
        source: "system",
        updated_at: now,
        next_run_at: nextRunAt(base, now),
        last_run_at: null,
      });
      continue;
    }
    const merged: CronJobRow = { ...current, ...columns };
    const keepTick = current.source === "system" && sameSchedule(current, merged) && current.enabled === 1 && current.next_run_at !== null;
    await updateCronJob(db, job.jobId, {
      ...columns,
      owner: "admin",
      source: "system",
      updated_at: now,
      // A changed interval counts from now, not from the job's creation.
      ...(!keepTick && { created_at: now }),
      next_run_at: keepTick ? current.next_run_at : nextRunAt({ ...merged, created_at: now }, now),
    });
  }
  const registered = new Set(jobs.map((job) => job.jobId));
  for (const stale of (await listSystemJobs(db)).filter((job) => !registered.has(job.job_id))) {
    deps.scheduler.jobRemoved(stale.job_id);
    await deleteCronJob(db, stale.job_id);
  }
  deps.scheduler.wake();
}
