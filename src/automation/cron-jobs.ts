import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Caller } from "../identity/caller.js";
import { GatewayError, invalidRequest } from "../shared/errors.js";
import type { CronJobRow, JobRunRow } from "../store/automation-tables.js";
import { countJobsOf, deleteCronJob, findCronJob, insertCronJob, listCronJobs, updateCronJob } from "../store/cron-jobs-repository.js";
import { findJobRun, type JobRunCursor, listJobRuns } from "../store/job-runs-repository.js";
import type { Database } from "../store/tables.js";
import { checkJobDefinition, definitionColumns, type JobDefinition, nextRunAt, sameSchedule } from "./job-definition.js";
import { maxJobsPerOwner, ownerLimitError } from "./owner-limits.js";
import type { TickResult } from "./scheduler.js";

/** What CronJobs needs of the scheduler: to hear of changes, and to fire a tick now. */
export interface SchedulerControl {
  wake(): void;
  jobRemoved(jobId: string): void;
  runNow(job: CronJobRow): Promise<TickResult>;
}

export interface CronJobsDeps {
  db: Kysely<Database>;
  scheduler: SchedulerControl;
  now: () => number;
  /** [automation] timezone: cron jobs that name none run in it. */
  defaultTimezone: string;
  /** Runtime jobs one owner may have (default maxJobsPerOwner). */
  maxJobsPerOwner?: number;
  newId?: () => string;
}

export interface Page<T> {
  items: T[];
  nextPageToken: string;
}

/**
 * CronService's core: jobs and their runs, as their owner sees them. A client key sees and changes
 * only the jobs it created (anyone else's are not_found, so ids reveal nothing); the admin sees all.
 * Jobs declared in the config file are changed there, not through the RPCs.
 */
export class CronJobs {
  private readonly newId: () => string;

  constructor(private readonly deps: CronJobsDeps) {
    this.newId = deps.newId ?? (() => `job_${randomUUID().replaceAll("-", "").slice(0, 16)}`);
  }

  async create(caller: Caller, job: JobDefinition): Promise<CronJobRow> {
    const now = this.deps.now();
    checkJobDefinition(job, "job", this.deps.defaultTimezone, now);
    const jobId = job.jobId || this.newId();
    if ((await findCronJob(this.deps.db, jobId)) !== undefined) {
      throw new GatewayError("invalid_request", `job.job_id: a job "${jobId}" already exists`, { param: "job.job_id", code: "job_exists" });
    }
    const limit = this.deps.maxJobsPerOwner ?? maxJobsPerOwner;
    if ((await countJobsOf(this.deps.db, caller.id)) >= limit) {
      throw ownerLimitError(caller, "jobs", limit, "job", "job_limit_reached");
    }
    const columns = { ...definitionColumns(job, this.deps.defaultTimezone), agent_id: agentOf(caller, job.agentId) };
    const base = { ...columns, created_at: now };
    await insertCronJob(this.deps.db, {
      ...base,
      job_id: jobId,
      owner: caller.id,
      source: "runtime",
      updated_at: now,
      next_run_at: nextRunAt(base, now),
      last_run_at: null,
    });
    this.deps.scheduler.wake();
    return this.visible(caller, jobId);
  }

  /** Replaces the definition; the next tick is kept unless the schedule changed or the job was re-enabled. */
  async update(caller: Caller, job: JobDefinition): Promise<CronJobRow> {
    if (!job.jobId) throw invalidRequest("job.job_id", "is required");
    const current = await this.changeable(caller, job.jobId);
    const now = this.deps.now();
    checkJobDefinition(job, "job", this.deps.defaultTimezone, sameScheduleKindAt(current, job) ? undefined : now);
    const columns = { ...definitionColumns(job, this.deps.defaultTimezone), agent_id: agentOf(caller, job.agentId) };
    const merged = { ...current, ...columns };
    const keepTick = sameSchedule(current, merged) && current.enabled === 1 && merged.enabled === 1 && current.next_run_at !== null;
    await updateCronJob(this.deps.db, job.jobId, { ...columns, updated_at: now, next_run_at: keepTick ? current.next_run_at : nextRunAt(merged, now) });
    this.deps.scheduler.wake();
    return this.visible(caller, job.jobId);
  }

  async remove(caller: Caller, jobId: string): Promise<boolean> {
    await this.changeable(caller, jobId);
    this.deps.scheduler.jobRemoved(jobId);
    return deleteCronJob(this.deps.db, jobId);
  }

  /** The job, if the caller may see it; not_found otherwise. */
  async visible(caller: Caller, jobId: string): Promise<CronJobRow> {
    if (!jobId) throw invalidRequest("job_id", "is required");
    const job = await findCronJob(this.deps.db, jobId);
    if (job === undefined || !mayTouch(caller, job.owner)) {
      throw new GatewayError("not_found", `no job with id "${jobId.slice(0, 128)}"`, { param: "job_id", code: "job_not_found" });
    }
    return job;
  }

  /** One page of the caller's jobs; the daemon's own system jobs only when asked for (`includeSystem`). */
  async list(caller: Caller, pageSize: number, pageToken: string, includeSystem = false): Promise<Page<CronJobRow>> {
    const limit = pageLimit(pageSize);
    const owner = caller.kind === "admin" ? undefined : caller.id;
    const items = await listCronJobs(this.deps.db, { owner, afterJobId: pageToken || undefined, limit, includeSystem });
    return { items, nextPageToken: items.length === limit ? (items.at(-1)?.job_id ?? "") : "" };
  }

  async runNow(caller: Caller, jobId: string): Promise<TickResult> {
    return this.deps.scheduler.runNow(await this.visible(caller, jobId));
  }

  async listRuns(caller: Caller, jobId: string, pageSize: number, pageToken: string): Promise<Page<JobRunRow>> {
    await this.visible(caller, jobId);
    const limit = pageLimit(pageSize);
    const items = await listJobRuns(this.deps.db, jobId, { after: parseRunCursor(pageToken), limit });
    const last = items.at(-1);
    return { items, nextPageToken: items.length === limit && last ? `${last.started_at}.${last.job_run_id}` : "" };
  }

  async getRun(caller: Caller, jobRunId: string): Promise<JobRunRow> {
    if (!jobRunId) throw invalidRequest("job_run_id", "is required");
    const run = await findJobRun(this.deps.db, jobRunId);
    const job = run && (await findCronJob(this.deps.db, run.job_id));
    if (run === undefined || job === undefined || !mayTouch(caller, job.owner)) {
      throw new GatewayError("not_found", `no job run with id "${jobRunId.slice(0, 128)}"`, { param: "job_run_id", code: "job_run_not_found" });
    }
    return run;
  }

  /** A job the caller may change: its own, and not one declared in the config file or the daemon's own. */
  private async changeable(caller: Caller, jobId: string): Promise<CronJobRow> {
    const job = await this.visible(caller, jobId);
    if (job.source === "system") {
      throw new GatewayError("invalid_request", `job "${jobId}" is a system job; its interval is set in the config ([memory] / [automation])`, {
        param: "job_id",
        code: "system_job",
      });
    }
    if (job.source === "config") {
      throw new GatewayError("invalid_request", `job "${jobId}" is declared in the config file ([[automation.jobs]]); change it there`, {
        param: "job_id",
        code: "config_job",
      });
    }
    return job;
  }
}

function mayTouch(caller: Caller, owner: string): boolean {
  return caller.kind === "admin" || caller.id === owner;
}

/** A key bound to an agent makes every run that agent's: its jobs are too. */
function agentOf(caller: Caller, requested: string | undefined): string | null {
  if (caller.agentId !== undefined) {
    if (requested && requested !== caller.agentId) throw invalidRequest("job.agent_id", `this key is bound to agent "${caller.agentId}"`);
    return caller.agentId;
  }
  return requested || null;
}

/** An unchanged `at` may stay in the past on update (the job has fired); a new one must be in the future. */
function sameScheduleKindAt(current: CronJobRow, job: JobDefinition): boolean {
  return job.schedule?.kind === "at" && current.schedule_kind === "at" && current.at_ms === job.schedule.atMs;
}

function pageLimit(pageSize: number): number {
  if (pageSize > 500) throw invalidRequest("page_size", "must be at most 500");
  return pageSize === 0 ? 50 : pageSize;
}

function parseRunCursor(token: string): JobRunCursor | undefined {
  if (!token) return undefined;
  const match = /^(\d+)\.(.+)$/.exec(token);
  if (!match) throw invalidRequest("page_token", "is not a token this daemon returned");
  return { startedAt: Number(match[1]), jobRunId: match[2] ?? "" };
}
