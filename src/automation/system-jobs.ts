import type { Usage } from "../shared/model-types.js";

/** What a system job's tick did, recorded on its job run. */
export interface SystemJobResult {
  /** What the tick did, in a line or two (counts before and after, batches embedded, findings). */
  message: string;
  /** Set when the tick chose to do nothing (backing off after failures): the job run is recorded skipped with this reason. */
  skippedReason?: string;
  /** What the tick's upstream calls used and cost (their runs are in the ledger too). */
  usage?: Pick<Usage, "inputTokens" | "outputTokens">;
  costUsd?: number;
  costEstimated?: boolean;
}

/**
 * One of the daemon's own jobs: a row in cron_jobs (source "system", owner "admin") whose tick calls
 * `handler` in process instead of starting a prompt run. The handler stops early when `signal`
 * aborts (shutdown, the watchdog) and calls `progress` between steps so a long tick is not taken
 * for stalled. A throw is a failed job run (a budget refusal a skipped one), never a crash.
 */
export interface SystemJob {
  jobId: string;
  name: string;
  /** What the job does, shown where a prompt job shows its prompt. */
  description: string;
  everyMs: number;
  handler(signal: AbortSignal, progress: () => void): Promise<SystemJobResult>;
}

/** The system jobs this daemon runs, by id. */
export class SystemJobRegistry {
  private readonly jobs = new Map<string, SystemJob>();

  constructor(jobs: readonly SystemJob[] = []) {
    for (const job of jobs) this.add(job);
  }

  add(job: SystemJob): void {
    if (this.jobs.has(job.jobId)) throw new Error(`system job ${job.jobId} is registered twice`);
    this.jobs.set(job.jobId, job);
  }

  get(jobId: string): SystemJob | undefined {
    return this.jobs.get(jobId);
  }

  list(): SystemJob[] {
    return [...this.jobs.values()];
  }
}
