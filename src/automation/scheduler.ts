import { randomUUID } from "node:crypto";
import type { CronJobRow, JobRunRow, JobRunStatus } from "../store/automation-tables.js";
import { countJobRun, earliestTickAfter, findCronJob, listJobsDueBy, updateCronJob } from "../store/cron-jobs-repository.js";
import { insertJobRun } from "../store/job-runs-repository.js";
import { scheduleOf } from "./job-definition.js";
import { executeJobRun, type JobRunExecutionDeps, jobRunRow } from "./job-run-execution.js";
import { type ActiveJobRun, cancelActive, type JobState, JobStates } from "./job-states.js";
import { jitterOffsetMs, maxJitterMs } from "./schedule/jitter.js";
import { nextTickAfter } from "./schedule/next-tick.js";
import { decideConcurrency, maxRunsReached, retryDelayMs, shouldRetry } from "./schedule/policies.js";
import { recoverMissedTicks } from "./scheduler-recovery.js";
import type { TimerSource } from "./timer-source.js";

export interface SchedulerDeps extends JobRunExecutionDeps {
  timers: TimerSource;
  newId?: () => string;
  /** Told the status each job run ended with once it is recorded, skips included (the metrics); must not throw. */
  onJobRunEnded?: ((status: JobRunStatus) => void) | undefined;
}

/** What a tick became: its job run, or a place in the job's queue. */
export type TickResult = { jobRun: JobRunRow } | { queued: true };

/**
 * Fires jobs' ticks. One timer, armed for the earliest due tick (schedule tick plus jitter); it sleeps
 * otherwise, and re-reads the jobs when they change (wake). Each tick is recorded as a job run and
 * starts its run through the engine like a client's call, as the job's owner.
 */
export class JobScheduler {
  private readonly states = new JobStates();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly newId: () => string;
  private cancelTimer: (() => void) | undefined;
  private scanning: Promise<void> = Promise.resolve();
  private rescan = false;
  private stopped = false;
  private started = false;

  constructor(private readonly deps: SchedulerDeps) {
    this.newId = deps.newId ?? randomUUID;
  }

  /** Closes job runs a killed daemon left running, applies each job's misfire policy, then starts ticking. */
  async start(): Promise<void> {
    const { closed, missed } = await recoverMissedTicks(this.deps.db, this.deps.now(), this.newId);
    this.started = true;
    if (closed > 0) this.deps.logger.warn({ jobRuns: closed }, "closed out job runs a previous daemon left unfinished");
    for (const { job, ticks } of missed) {
      this.stateOf(job.job_id).waiting.push(...ticks.map((tickAt) => ({ job, tickAt, attempt: 1 })));
      this.runWaiting(job.job_id);
    }
    this.wake();
    await this.scanning;
  }

  /** Whether ticks fire: not before start(), and no more after stop(). */
  get state(): "not_started" | "running" | "stopped" {
    return this.stopped ? "stopped" : this.started ? "running" : "not_started";
  }

  /** Re-reads the jobs and re-arms the timer (after a job was created, changed or removed). */
  wake(): void {
    // Before start() the misfire policies have not run: a tick now would pre-empt them.
    if (this.stopped || !this.started) return;
    // Scans never overlap: a wake during one asks for another after it.
    if (this.rescan) return;
    this.rescan = true;
    this.scanning = this.scanning.then(async () => {
      this.rescan = false;
      await this.scan().catch((error: unknown) => {
        this.deps.logger.error({ err: error }, "scheduler scan failed; retrying in a second");
        this.arm(this.deps.now() + 1000);
      });
    });
  }

  /** Fires a job's tick now, outside its schedule (its concurrency policy applies). */
  async runNow(job: CronJobRow): Promise<TickResult> {
    const now = this.deps.now();
    await updateCronJob(this.deps.db, job.job_id, { last_run_at: now });
    return this.tick(job, now, 1);
  }

  /** Forgets a removed job: its waiting ticks and retries are dropped and its active run cancelled. */
  jobRemoved(jobId: string): void {
    this.states.forget(jobId, "the job was deleted");
    this.wake();
  }

  /** Cancels a job run's run in flight; false when that job run has none here. */
  cancelJobRun(jobRunId: string, reason: string): boolean {
    return this.states.cancelJobRun(jobRunId, reason);
  }

  /**
   * No new ticks or retries from now on; runs in flight go on (the engine's drain cancels them). System
   * jobs' ticks, which have no run for the drain to cancel, are cancelled here: they stop between steps.
   */
  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
    this.states.forgetAllPending();
    for (const job of this.deps.systemJobs?.list() ?? []) this.states.forget(job.jobId, "the daemon is stopping");
  }

  /** Resolves once the scans asked for so far are done (their ticks recorded; runs may still be going). */
  async idle(): Promise<void> {
    await this.scanning;
  }

  /** Resolves once every job run in flight is recorded. */
  async settled(): Promise<void> {
    // A run's end may ask for a scan (a job disabled by max_runs), and a scan may start runs: wait out both.
    for (;;) {
      await this.scanning;
      if (this.inFlight.size === 0) return;
      await Promise.allSettled([...this.inFlight]);
    }
  }

  private async scan(): Promise<void> {
    if (this.stopped) return;
    this.cancelTimer?.();
    const now = this.deps.now();
    // Only jobs due within the largest jitter can fire or decide the timer before the earliest later tick.
    const horizon = now + maxJitterMs;
    let earliest = (await earliestTickAfter(this.deps.db, horizon)) ?? Number.POSITIVE_INFINITY;
    for (const job of await listJobsDueBy(this.deps.db, horizon)) {
      const tick = Number(job.next_run_at);
      const due = tick + jitterOffsetMs(job.job_id, tick, job.jitter_ms);
      if (due > now) {
        earliest = Math.min(earliest, due);
        continue;
      }
      // One job that throws is logged and retried shortly; the others still fire.
      const next = await this.fireScheduled(job, tick, now).catch((error: unknown) => {
        this.deps.logger.error({ err: error, jobId: job.job_id }, "a scheduled tick failed to fire");
        return now + 1000;
      });
      if (next !== undefined) earliest = Math.min(earliest, next + jitterOffsetMs(job.job_id, next, job.jitter_ms));
    }
    if (earliest !== Number.POSITIVE_INFINITY) this.arm(earliest);
  }

  private arm(dueAt: number): void {
    if (this.stopped) return;
    this.cancelTimer?.();
    this.cancelTimer = this.deps.timers.set(() => this.wake(), dueAt - this.deps.now());
  }

  /** Moves the job to its next tick (an `at` job disables itself), then fires this one. Returns the next tick. */
  private async fireScheduled(job: CronJobRow, tick: number, now: number): Promise<number | undefined> {
    // From now, not from the tick: ticks a late timer passed over are not fired in a burst.
    const next = nextTickAfter(scheduleOf(job), Math.max(tick, now));
    const fired = job.schedule_kind === "at";
    await updateCronJob(this.deps.db, job.job_id, { next_run_at: fired ? null : (next ?? null), last_run_at: now, ...(fired && { enabled: 0 }) });
    await this.tick(job, tick, 1);
    return fired ? undefined : next;
  }

  private async tick(job: CronJobRow, tickAt: number, attempt: number): Promise<TickResult> {
    const state = this.stateOf(job.job_id);
    if (attempt === 1 && maxRunsReached(job.run_count, job.max_runs)) {
      await updateCronJob(this.deps.db, job.job_id, { enabled: 0, next_run_at: null });
      return { jobRun: await this.recordSkip(job.job_id, tickAt, "max_runs_reached", `the job has started its max_runs (${job.max_runs}) runs`) };
    }
    const decision = decideConcurrency(job.concurrency, { active: state.active !== undefined, waiting: state.waiting.length });
    if (decision.action === "skip") return { jobRun: await this.recordSkip(job.job_id, tickAt, decision.reason, decision.message) };
    if (decision.action === "queue") {
      state.waiting.push({ job, tickAt, attempt });
      return { queued: true };
    }
    if (decision.action === "replace" && state.active !== undefined) {
      const replaced = state.active;
      cancelActive(replaced, "replaced by a newer tick (concurrency replace)");
      await replaced.done;
    }
    return { jobRun: await this.startRun(job, tickAt, attempt) };
  }

  private async recordSkip(jobId: string, tickAt: number, reason: string, message: string): Promise<JobRunRow> {
    const row = jobRunRow({ jobRunId: this.newId(), jobId, tickAt, attempt: 1, now: this.deps.now() }, "skipped", { reason, message });
    await insertJobRun(this.deps.db, row);
    this.deps.onJobRunEnded?.("skipped");
    return row;
  }

  private async startRun(job: CronJobRow, tickAt: number, attempt: number): Promise<JobRunRow> {
    const state = this.stateOf(job.job_id);
    const row = jobRunRow({ jobRunId: this.newId(), jobId: job.job_id, tickAt, attempt, now: this.deps.now() }, "running");
    // Active before the first await, so a tick that comes meanwhile sees it.
    const active: ActiveJobRun = { jobRunId: row.job_run_id, cancel: undefined, pendingCancel: undefined, done: Promise.resolve() };
    state.active = active;
    try {
      await insertJobRun(this.deps.db, row);
    } catch (error) {
      state.active = undefined;
      throw error;
    }
    const done = this.execute(job, row, active)
      .catch((error: unknown) => this.deps.logger.error({ err: error, jobId: job.job_id }, "a job run could not be recorded"))
      .finally(() => {
        state.active = undefined;
        this.inFlight.delete(done);
        this.runWaiting(job.job_id);
      });
    active.done = done;
    this.inFlight.add(done);
    return row;
  }

  private async execute(job: CronJobRow, row: JobRunRow, active: ActiveJobRun): Promise<void> {
    const outcome = await executeJobRun(this.deps, job, row, (cancel) => {
      active.cancel = cancel;
      if (active.pendingCancel !== undefined) cancel(active.pendingCancel);
    });
    this.deps.onJobRunEnded?.(outcome.recorded);
    if (outcome.runId !== undefined) {
      const count = await countJobRun(this.deps.db, job.job_id);
      if (maxRunsReached(count, job.max_runs)) {
        await updateCronJob(this.deps.db, job.job_id, { enabled: 0, next_run_at: null });
        this.wake();
      }
    }
    if (outcome.recorded === "failed" && shouldRetry(outcome.error, row.attempt, job.max_attempts)) {
      this.scheduleRetry(job.job_id, row.tick_at, row.attempt + 1, job.backoff_ms);
    }
  }

  private scheduleRetry(jobId: string, tickAt: number, attempt: number, backoffMs: number): void {
    if (this.stopped) return;
    const state = this.stateOf(jobId);
    const cancel = this.deps.timers.set(
      () => {
        state.retryTimers.delete(cancel);
        void this.retry(jobId, tickAt, attempt);
      },
      retryDelayMs(backoffMs, attempt - 1),
    );
    state.retryTimers.add(cancel);
  }

  private async retry(jobId: string, tickAt: number, attempt: number): Promise<void> {
    if (this.stopped) return;
    try {
      const job = await findCronJob(this.deps.db, jobId);
      if (job !== undefined) await this.tick(job, tickAt, attempt);
    } catch (error) {
      this.deps.logger.error({ err: error, jobId }, "a job's retry failed to start");
    }
  }

  /** Starts the job's next waiting tick, if its run ended and one waits. */
  private runWaiting(jobId: string): void {
    const state = this.stateOf(jobId);
    if (this.stopped || state.active !== undefined) return;
    const next = state.waiting.shift();
    if (next === undefined) return;
    this.startRun(next.job, next.tickAt, next.attempt).catch((error: unknown) =>
      this.deps.logger.error({ err: error, jobId }, "a waiting tick failed to start"),
    );
  }

  private stateOf(jobId: string): JobState {
    return this.states.of(jobId);
  }
}
