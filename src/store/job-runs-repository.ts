import type { Kysely } from "kysely";
import type { JobRunRow, JobRunRowUpdate, NewJobRunRow } from "./automation-tables.js";
import type { Database } from "./tables.js";

export async function insertJobRun(db: Kysely<Database>, row: NewJobRunRow): Promise<void> {
  await db.insertInto("job_runs").values(row).execute();
}

export async function updateJobRun(db: Kysely<Database>, jobRunId: string, patch: JobRunRowUpdate): Promise<void> {
  await db.updateTable("job_runs").set(patch).where("job_run_id", "=", jobRunId).execute();
}

export async function findJobRun(db: Kysely<Database>, jobRunId: string): Promise<JobRunRow | undefined> {
  return db.selectFrom("job_runs").selectAll().where("job_run_id", "=", jobRunId).executeTakeFirst();
}

/** Where a page of job runs ends: the last row's start and id (newest first). */
export interface JobRunCursor {
  startedAt: number;
  jobRunId: string;
}

/** One page of a job's runs, newest first, after `cursor`. */
export async function listJobRuns(db: Kysely<Database>, jobId: string, options: { after?: JobRunCursor | undefined; limit: number }): Promise<JobRunRow[]> {
  let query = db
    .selectFrom("job_runs")
    .selectAll()
    .where("job_id", "=", jobId)
    .orderBy("started_at", "desc")
    .orderBy("job_run_id", "desc")
    .limit(options.limit);
  const after = options.after;
  if (after !== undefined) {
    query = query.where((eb) =>
      eb.or([eb("started_at", "<", after.startedAt), eb.and([eb("started_at", "=", after.startedAt), eb("job_run_id", "<", after.jobRunId)])]),
    );
  }
  return query.execute();
}

/**
 * Closes out job runs a previous daemon left running (it was killed): they become interrupted, so
 * no job run stays open forever. Returns how many were closed.
 */
export async function closeInterruptedJobRuns(db: Kysely<Database>, now: number): Promise<number> {
  const result = await db
    .updateTable("job_runs")
    .set({ status: "interrupted", reason: "interrupted", message: "the daemon stopped before the run finished", finished_at: now, heartbeat_at: null })
    .where("status", "=", "running")
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Job runs still running whose last heartbeat (or start) is before `before`. */
export async function staleJobRuns(db: Kysely<Database>, before: number): Promise<JobRunRow[]> {
  return db
    .selectFrom("job_runs")
    .selectAll()
    .where("status", "=", "running")
    .where((eb) => eb.or([eb("heartbeat_at", "<", before), eb.and([eb("heartbeat_at", "is", null), eb("started_at", "<", before)])]))
    .execute();
}
