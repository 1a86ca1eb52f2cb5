import type { Kysely } from "kysely";
import { findCronJob } from "../store/cron-jobs-repository.js";
import { listJobRuns } from "../store/job-runs-repository.js";
import type { Database } from "../store/tables.js";
import type { SystemJobStatus, SystemJobsStatus } from "./memory-status.js";
import { embeddingsBackfillJobId, integrityAuditJobId, memoryMaintenanceJobId } from "./system-job-ids.js";

/**
 * The memory status's view of the system jobs: each one's next tick and its latest job run (status
 * and message). A job that is not registered (the audit without its handler) is left out.
 */
export async function systemJobsStatus(db: Kysely<Database>): Promise<SystemJobsStatus> {
  const [maintenance, backfill, audit] = await Promise.all(
    [memoryMaintenanceJobId, embeddingsBackfillJobId, integrityAuditJobId].map((jobId) => statusOf(db, jobId)),
  );
  return { maintenance, backfill, audit };
}

async function statusOf(db: Kysely<Database>, jobId: string): Promise<SystemJobStatus | undefined> {
  const job = await findCronJob(db, jobId);
  if (job === undefined || job.source !== "system") return undefined;
  const [last] = await listJobRuns(db, jobId, { limit: 1 });
  return {
    jobId,
    lastRunAt: last === undefined ? undefined : Number(last.started_at),
    nextRunAt: job.next_run_at === null ? undefined : Number(job.next_run_at),
    lastStatus: last?.status ?? "",
    lastMessage: last?.message ?? "",
  };
}
