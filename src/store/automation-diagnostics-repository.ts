import type { Kysely } from "kysely";
import type { Database } from "./tables.js";

// The automation figures diagnostics read: each query walks an index range and is limited, so a
// snapshot stays cheap with long job histories.

export interface JobWithLatestRun {
  job_id: string;
  name: string;
  next_run_at: number | null;
  last_started_at: number | null;
  last_status: string | null;
  last_message: string | null;
}

/**
 * Enabled jobs (at most `limit`, by id) with their latest job run: one lookup per job in the
 * job_runs_job_idx (job_id, started_at) index, never a scan of the history.
 */
export async function enabledJobsWithLatestRun(db: Kysely<Database>, limit: number): Promise<JobWithLatestRun[]> {
  return db
    .selectFrom("cron_jobs as j")
    .select(["j.job_id", "j.name", "j.next_run_at"])
    .select((eb) => {
      const latest = eb.selectFrom("job_runs as r").whereRef("r.job_id", "=", "j.job_id").orderBy("r.started_at", "desc").limit(1);
      return [latest.select("r.started_at").as("last_started_at"), latest.select("r.status").as("last_status"), latest.select("r.message").as("last_message")];
    })
    .where("j.enabled", "=", 1)
    .orderBy("j.job_id")
    .limit(limit)
    .execute();
}

/** How many jobs are enabled (cron_jobs_due_idx). */
export async function countEnabledJobs(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom("cron_jobs")
    .select((eb) => eb.fn.countAll<number | string>().as("count"))
    .where("enabled", "=", 1)
    .executeTakeFirst();
  return Number(row?.count ?? 0);
}

/** Enabled jobs whose next tick is at or before `now`, earliest first, at most `limit` (cron_jobs_due_idx). */
export async function jobsDue(db: Kysely<Database>, now: number, limit: number): Promise<{ job_id: string; name: string; next_run_at: number | null }[]> {
  return db
    .selectFrom("cron_jobs")
    .select(["job_id", "name", "next_run_at"])
    .where("enabled", "=", 1)
    .where("next_run_at", "<=", now)
    .orderBy("next_run_at")
    .limit(limit)
    .execute();
}

/** Queued tasks, counted up to `cap` (tasks_due_idx). */
export async function countQueuedTasks(db: Kysely<Database>, cap: number): Promise<number> {
  const row = await db
    .selectFrom((eb) => eb.selectFrom("tasks").select("task_id").where("state", "=", "queued").limit(cap).as("queued"))
    .select((eb) => eb.fn.countAll<number | string>().as("count"))
    .executeTakeFirst();
  return Number(row?.count ?? 0);
}

/** Open and remediating incidents, counted up to `cap` (incidents_state_idx). */
export async function countActiveIncidents(db: Kysely<Database>, cap: number): Promise<number> {
  const row = await db
    .selectFrom((eb) => eb.selectFrom("incidents").select("incident_id").where("state", "in", ["open", "remediating"]).limit(cap).as("active"))
    .select((eb) => eb.fn.countAll<number | string>().as("count"))
    .executeTakeFirst();
  return Number(row?.count ?? 0);
}
