import type { Kysely } from "kysely";
import type { JobConfig } from "../config/schema.js";
import type { Logger } from "../shared/logger.js";
import { deleteCronJob, findCronJob, insertCronJob, listConfigJobs, updateCronJob } from "../store/cron-jobs-repository.js";
import type { Database } from "../store/tables.js";
import type { SchedulerControl } from "./cron-jobs.js";
import { checkJobDefinition, definitionColumns, type JobDefinition, nextRunAt, sameSchedule } from "./job-definition.js";

/** A [[automation.jobs]] entry as a definition (the schema has already applied defaults). */
export function jobDefinitionFromConfig(job: JobConfig): JobDefinition {
  return {
    jobId: job.job_id,
    name: job.name ?? job.job_id,
    run: { prompt: job.prompt, ...(job.model && { model: job.model }), ...(job.max_tokens !== undefined && { maxTokens: job.max_tokens }) },
    agentId: job.agent_id,
    enabled: job.enabled,
    schedule:
      job.cron !== undefined
        ? { kind: "cron", expression: job.cron, timezone: job.timezone }
        : job.every_ms !== undefined
          ? { kind: "every", everyMs: job.every_ms }
          : job.at !== undefined
            ? { kind: "at", atMs: Date.parse(job.at) }
            : undefined,
    concurrency: job.concurrency,
    misfire: job.misfire,
    maxCatchUp: job.max_catch_up,
    maxAttempts: job.max_attempts,
    backoffMs: job.backoff_ms,
    jitterMs: job.jitter_ms,
    maxRuns: job.max_runs,
  };
}

export interface DeclarativeJobsDeps {
  db: Kysely<Database>;
  scheduler: Pick<SchedulerControl, "wake" | "jobRemoved">;
  logger: Logger;
  now: () => number;
  defaultTimezone: string;
}

/**
 * Makes the stored config jobs match [[automation.jobs]] (at start and on reload): each is upserted,
 * owned by the admin, source "config"; config jobs no longer in the file are removed with their
 * history. A job keeps its next tick and history when its schedule did not change. A runtime job
 * holding an id the file declares is left alone (and logged): the file does not take it over.
 */
export async function syncDeclarativeJobs(deps: DeclarativeJobsDeps, jobs: readonly JobConfig[]): Promise<{ upserted: number; removed: number }> {
  const { db, now: clock, defaultTimezone } = deps;
  const now = clock();
  let upserted = 0;
  for (const [index, config] of jobs.entries()) {
    const definition = jobDefinitionFromConfig(config);
    checkJobDefinition(definition, `automation.jobs[${index}]`, defaultTimezone);
    const columns = definitionColumns(definition, defaultTimezone);
    const current = await findCronJob(db, definition.jobId);
    if (current?.source === "runtime") {
      deps.logger.warn({ jobId: definition.jobId }, "a runtime job already has this [[automation.jobs]] id; the config job is not applied");
      continue;
    }
    if (current === undefined) {
      const base = { ...columns, created_at: now };
      await insertCronJob(db, {
        ...base,
        job_id: definition.jobId,
        owner: "admin",
        source: "config",
        updated_at: now,
        next_run_at: nextRunAt(base, now),
        last_run_at: null,
      });
    } else {
      const merged = { ...current, ...columns };
      const keepTick = sameSchedule(current, merged) && current.enabled === 1 && merged.enabled === 1 && current.next_run_at !== null;
      await updateCronJob(db, definition.jobId, { ...columns, updated_at: now, next_run_at: keepTick ? current.next_run_at : nextRunAt(merged, now) });
    }
    upserted += 1;
  }
  const declared = new Set(jobs.map((job) => job.job_id));
  let removed = 0;
  for (const stale of (await listConfigJobs(db)).filter((job) => !declared.has(job.job_id))) {
    deps.scheduler.jobRemoved(stale.job_id);
    if (await deleteCronJob(db, stale.job_id)) removed += 1;
  }
  deps.scheduler.wake();
  return { upserted, removed };
}
