import type { Kysely } from "kysely";
import { findJobRun, staleJobRuns, updateJobRun } from "../store/job-runs-repository.js";
import type { Database } from "../store/tables.js";
import { type StallWatched, stalledReason } from "./stall-watch.js";

/**
 * The watchdog's view of job runs: rows still running with no heartbeat for a while. Remediation
 * cancels the job run's run (the scheduler then records it cancelled, reason "stalled"); a row with
 * no run in flight here (its run already ended, its record was lost) is closed as failed, "stalled".
 */
export function jobRunStallWatch(deps: {
  db: Kysely<Database>;
  scheduler: { cancelJobRun(jobRunId: string, reason: string): boolean };
  now: () => number;
}): StallWatched {
  return {
    objectKind: "job_run",
    async stale(before) {
      const rows = await staleJobRuns(deps.db, before);
      return rows.map((row) => ({
        id: row.job_run_id,
        runId: row.run_id ?? undefined,
        summary: `job run ${row.job_run_id} of job ${row.job_id} (tick ${new Date(Number(row.tick_at)).toISOString()}, attempt ${row.attempt}) shows no progress since ${new Date(Number(row.heartbeat_at ?? row.started_at)).toISOString()}`,
      }));
    },
    async remediate(id) {
      if (deps.scheduler.cancelJobRun(id, stalledReason)) return "cancelled the job run's run (recorded as cancelled, reason stalled)";
      const now = deps.now();
      await updateJobRun(deps.db, id, { status: "failed", reason: stalledReason, message: "no run of it was in flight", finished_at: now, heartbeat_at: null });
      return "closed the job run as failed (reason stalled): no run of it was in flight";
    },
    async running(id) {
      return (await findJobRun(deps.db, id))?.status === "running";
    },
  };
}
