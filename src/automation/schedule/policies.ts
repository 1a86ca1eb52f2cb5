import type { GatewayError } from "../../shared/errors.js";
import type { ConcurrencyPolicy, MisfirePolicy } from "../../store/automation-tables.js";
import { isTransientFailure } from "../run-to-end.js";

/** What to do with a tick, given the job's concurrency policy and its run in flight. */
export type ConcurrencyDecision =
  | { action: "start" }
  /** Cancel the active run, then start. */
  | { action: "replace" }
  /** Wait for the active run to end. */
  | { action: "queue" }
  | { action: "skip"; reason: string; message: string };

export function decideConcurrency(policy: ConcurrencyPolicy, state: { active: boolean; waiting: number }): ConcurrencyDecision {
  if (!state.active) return { action: "start" };
  switch (policy) {
    case "forbid":
      return { action: "skip", reason: "concurrency_forbid", message: "a run of the job was still active (concurrency forbid)" };
    case "replace":
      return { action: "replace" };
    case "queue_one":
      return state.waiting === 0
        ? { action: "queue" }
        : { action: "skip", reason: "concurrency_queue_full", message: "a run was active and another tick was already waiting (concurrency queue_one)" };
  }
}

/** Missed ticks after a downtime: which to run (oldest first) and how many are recorded as one skip. */
export interface MisfirePlan {
  run: number[];
  skipped: number;
}

/** skip: none run, all recorded skipped; catch_up: the latest `maxCatchUp` run one at a time, the older ones skipped. */
export function planMisfire(policy: MisfirePolicy, missed: { count: number; latest: number[] }, maxCatchUp: number): MisfirePlan {
  if (policy === "skip") return { run: [], skipped: missed.count };
  const run = missed.latest.slice(-maxCatchUp);
  return { run, skipped: missed.count - run.length };
}

/** Retry waits double per attempt and never exceed ten minutes. */
export const maxRetryDelayMs = 600_000;

/** The wait before the attempt after `failedAttempt` (1-based): backoff, doubling per attempt, capped. */
export function retryDelayMs(backoffMs: number, failedAttempt: number): number {
  return Math.min(maxRetryDelayMs, backoffMs * 2 ** Math.max(0, failedAttempt - 1));
}

/** Only transient upstream failures are retried (never a budget refusal, bad input or a cancel), up to maxAttempts. */
export function shouldRetry(error: GatewayError | undefined, failedAttempt: number, maxAttempts: number): boolean {
  return failedAttempt < maxAttempts && isTransientFailure(error);
}

/** Whether the job has started as many runs as it may (no limit when maxRuns is null). */
export function maxRunsReached(runCount: number, maxRuns: number | null): boolean {
  return maxRuns !== null && runCount >= maxRuns;
}
