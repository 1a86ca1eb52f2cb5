import { type Kysely, sql } from "kysely";
import type { CronJobRow, CronJobRowUpdate, NewCronJobRow } from "./automation-tables.js";
import type { Database } from "./tables.js";

export async function insertCronJob(db: Kysely<Database>, row: NewCronJobRow): Promise<void> {
  await db.insertInto("cron_jobs").values(row).execute();
}

export async function updateCronJob(db: Kysely<Database>, jobId: string, patch: CronJobRowUpdate): Promise<void> {
  await db.updateTable("cron_jobs").set(patch).where("job_id", "=", jobId).execute();
}

/** Counts one more started run; returns the new count. */
export async function countJobRun(db: Kysely<Database>, jobId: string): Promise<number> {
  await db.updateTable("cron_jobs").set({ run_count: sql`run_count + 1` }).where("job_id", "=", jobId).execute();
  const row = await db.selectFrom("cron_jobs").select("run_count").where("job_id", "=", jobId).executeTakeFirst();
  return row?.run_count ?? 0;
}

/** Removes the job and its history. */
export async function deleteCronJob(db: Kysely<Database>, jobId: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await trx.deleteFrom("job_runs").where("job_id", "=", jobId).execute();
    const result = await trx.deleteFrom("cron_jobs").where("job_id", "=", jobId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  });
}

export async function findCronJob(db: Kysely<Database>, jobId: string): Promise<CronJobRow | undefined> {
  return db.selectFrom("cron_jobs").selectAll().where("job_id", "=", jobId).executeTakeFirst();
}

/** One page of jobs by id, after `afterJobId`; only `owner`'s when given; system jobs only with `includeSystem`. */
export async function listCronJobs(
  db: Kysely<Database>,
  options: { owner?: string | undefined; afterJobId?: string | undefined; limit: number; includeSystem?: boolean },
): Promise<CronJobRow[]> {
  let query = db.selectFrom("cron_jobs").selectAll().orderBy("job_id").limit(options.limit);
  if (options.owner !== undefined) query = query.where("owner", "=", options.owner);
  if (options.includeSystem !== true) query = query.where("source", "!=", "system");
  if (options.afterJobId) query = query.where("job_id", ">", options.afterJobId);
  return query.execute();
}

/** Jobs the scheduler has a tick for. */
export async function listScheduledJobs(db: Kysely<Database>): Promise<CronJobRow[]> {
  return db.selectFrom("cron_jobs").selectAll().where("enabled", "=", 1).where("next_run_at", "is not", null).execute();
}

/**
 * Enabled jobs whose next tick is at or before `by`: the ones a scan fires or arms its timer for, so
 * a scan reads the jobs due soon, not every job.
 */
export async function listJobsDueBy(db: Kysely<Database>, by: number): Promise<CronJobRow[]> {
  return db.selectFrom("cron_jobs").selectAll().where("enabled", "=", 1).where("next_run_at", "is not", null).where("next_run_at", "<=", by).execute();
}

/** The earliest next tick of an enabled job after `after`, if any. */
export async function earliestTickAfter(db: Kysely<Database>, after: number): Promise<number | undefined> {
  const row = await db
    .selectFrom("cron_jobs")
    .select((eb) => eb.fn.min("next_run_at").as("next"))
    .where("enabled", "=", 1)
    .where("next_run_at", ">", after)
    .executeTakeFirst();
  return row?.next === null || row?.next === undefined ? undefined : Number(row.next);
}

/** How many runtime jobs `owner` has. */
export async function countJobsOf(db: Kysely<Database>, owner: string): Promise<number> {
  const row = await db
    .selectFrom("cron_jobs")
    .select((eb) => eb.fn.countAll<number>().as("count"))
    .where("owner", "=", owner)
    .where("source", "=", "runtime")
    .executeTakeFirst();
  return Number(row?.count ?? 0);
}

/** Jobs declared in the config file. */
export async function listConfigJobs(db: Kysely<Database>): Promise<CronJobRow[]> {
  return db.selectFrom("cron_jobs").selectAll().where("source", "=", "config").execute();
}

/** The daemon's own jobs (memory maintenance, embeddings backfill, integrity audit). */
export async function listSystemJobs(db: Kysely<Database>): Promise<CronJobRow[]> {
  return db.selectFrom("cron_jobs").selectAll().where("source", "=", "system").execute();
}
