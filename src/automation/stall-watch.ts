import type { IncidentObjectKind } from "../store/automation-tables.js";

/**
 * A kind of background work the watchdog keeps an eye on besides runs: job runs and tasks. Their
 * rows heartbeat while their run makes progress; one left `running` with no heartbeat for
 * stall_after_ms and no run in flight is stalled on its own (a stalled run is the run's incident).
 */
export interface StallWatched {
  objectKind: Exclude<IncidentObjectKind, "run">;
  /** Rows still running whose last heartbeat (or start) is before `before`. */
  stale(before: number): Promise<{ id: string; runId: string | undefined; summary: string }[]>;
  /** Auto mode: ends (or requeues) the stalled work; returns what was done, in words. */
  remediate(id: string): Promise<string>;
  /** Whether it is still running; its incident resolves once it is not. */
  running(id: string): Promise<boolean>;
}

/** The reason a stalled run is cancelled with: its run, job run and task record "stalled". */
export const stalledReason = "stalled";

/** True for the end of a run the watchdog cancelled as stalled. */
export function wasStalled(error: { kind: string; message: string } | undefined): boolean {
  return error?.kind === "cancelled" && error.message.startsWith(stalledReason);
}
