import type { Kysely } from "kysely";
import type { CronJobRow } from "../store/automation-tables.js";
import { listScheduledJobs, updateCronJob } from "../store/cron-jobs-repository.js";
import { closeInterruptedJobRuns, insertJobRun } from "../store/job-runs-repository.js";
import type { Database } from "../store/tables.js";
import { scheduleOf } from "./job-definition.js";
import { jitterOffsetMs } from "./schedule/jitter.js";
import { nextTickAfter, ticksBetween } from "./schedule/next-tick.js";
import { planMisfire } from "./schedule/policies.js";

// Counting missed ticks stops here: a minutely job down for a week says "at least 10000".
const countCap = 10_000;

/**
 * Start-up: job runs a killed daemon left running are closed as interrupted; then each enabled job
 * whose tick passed while the daemon was down follows its misfire policy: `skip` records one skipped
 * job run saying how many ticks were missed, `catch_up` hands back the latest max_catch_up ticks to
 * run one at a time and records the rest as one skip. Every such job moves on to its next tick after now.
 */
export async function recoverMissedTicks(
  db: Kysely<Database>,
  now: number,
  newId: () => string,
): Promise<{ closed: number; missed: { job: CronJobRow; ticks: number[] }[] }> {
  const closed = await closeInterruptedJobRuns(db, now);
  const missed: { job: CronJobRow; ticks: number[] }[] = [];
  for (const job of await listScheduledJobs(db)) {
    const first = Number(job.next_run_at);
    if (first + jitterOffsetMs(job.job_id, first, job.jitter_ms) > now) continue;
    const schedule = scheduleOf(job);
    const found = ticksBetween(schedule, first, now, job.max_catch_up, countCap);
    const plan = planMisfire(job.misfire, found, job.max_catch_up);
    if (plan.skipped > 0) {
      const many = found.count >= countCap ? `at least ${plan.skipped}` : String(plan.skipped);
      await insertJobRun(db, {
        job_run_id: newId(),
        job_id: job.job_id,
        tick_at: first,
        attempt: 1,
        status: "skipped",
        reason: "misfire_skipped",
        message: `${many} tick(s) missed while the daemon was down were skipped (misfire ${job.misfire})`,
        started_at: now,
        finished_at: now,
      });
    }
    const fired = job.schedule_kind === "at";
    const next = fired ? undefined : nextTickAfter(schedule, now);
    await updateCronJob(db, job.job_id, { next_run_at: next ?? null, ...(fired && { enabled: 0 }) });
    if (plan.run.length > 0) missed.push({ job, ticks: plan.run });
  }
  return { closed, missed };
}
