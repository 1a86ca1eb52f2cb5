import type { CronJobRow } from "../store/automation-tables.js";

/** A tick waiting for the job's active run (queue_one, catch-up, a retry). */
export interface WaitingTick {
  job: CronJobRow;
  tickAt: number;
  attempt: number;
}

/** A job run in flight, and how to cancel its run. */
export interface ActiveJobRun {
  jobRunId: string;
  /** Set once the engine admitted the run. */
  cancel: ((reason: string) => void) | undefined;
  /** A cancel asked for before admission, applied once admitted. */
  pendingCancel: string | undefined;
  done: Promise<void>;
}

/** What the scheduler holds in memory for one job: its run in flight, ticks waiting, retries pending. */
export interface JobState {
  active: ActiveJobRun | undefined;
  waiting: WaitingTick[];
  retryTimers: Set<() => void>;
}

/** The in-memory state of every job the scheduler has touched. */
export class JobStates {
  private readonly states = new Map<string, JobState>();

  of(jobId: string): JobState {
    let state = this.states.get(jobId);
    if (state === undefined) {
      state = { active: undefined, waiting: [], retryTimers: new Set() };
      this.states.set(jobId, state);
    }
    return state;
  }

  /** Cancels a job run's run in flight; false when that job run has none here. */
  cancelJobRun(jobRunId: string, reason: string): boolean {
    for (const state of this.states.values()) {
      if (state.active?.jobRunId === jobRunId) {
        cancelActive(state.active, reason);
        return true;
      }
    }
    return false;
  }

  /** Drops a job's waiting ticks and pending retries; its active run, if any, is cancelled when `cancelReason` is given. */
  forget(jobId: string, cancelReason?: string): void {
    const state = this.states.get(jobId);
    if (state === undefined) return;
    dropPending(state);
    if (state.active && cancelReason !== undefined) cancelActive(state.active, cancelReason);
  }

  /** Drops every job's waiting ticks and pending retries (runs in flight go on). */
  forgetAllPending(): void {
    for (const state of this.states.values()) dropPending(state);
  }
}

export function cancelActive(active: ActiveJobRun, reason: string): void {
  if (active.cancel) active.cancel(reason);
  else active.pendingCancel = reason;
}

function dropPending(state: JobState): void {
  state.waiting.length = 0;
  for (const cancel of state.retryTimers) cancel();
}
