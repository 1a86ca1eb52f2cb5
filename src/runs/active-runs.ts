import type { Caller } from "../identity/caller.js";
import { GatewayError } from "../shared/errors.js";
import type { Usage } from "../shared/model-types.js";
import { settleWithin } from "../shared/server-lifecycle.js";
import type { RunStatus } from "../store/tables.js";
import { clipReason, shown } from "./input-limits.js";
import type { RunEnd } from "./run-end.js";

/** A run in flight: who started it, how to cancel it, and when its end is recorded. */
export interface ActiveRun {
  /** Only this caller (or the admin) may abort the run or learn its status. */
  callerId: string;
  controller: AbortController;
  cancelReason: string | undefined;
  /** Settles once the run's end is recorded (a run not yet tracked counts as ended). */
  done: Promise<Pick<RunEnd, "status">>;
  /** Signs of life, updated as the upstream streams (a field write per chunk, never a store write). */
  progress: RunProgress;
}

/** A run's progress so far: when it last moved, and what it has used (its heartbeat's checkpoint). */
export interface RunProgress {
  startedAt: number;
  /** The last upstream chunk (or the start). */
  lastAt: number;
  /** The prompt's tokens, as admission counted them (an upper bound when it did not count exactly). */
  promptTokens: number;
  /** Characters of output streamed so far (text and tool-call arguments). */
  outputChars: number;
  /** What the upstream reported, when it did before the end. */
  reported: Usage | undefined;
}

/** Told a run's id and status once its end is recorded; must not throw. */
export type RunEndListener = (runId: string, status: RunEnd["status"]) => void;

/** A run in flight, as the watchdog and the heartbeat writer see it. */
export interface InFlightRun {
  runId: string;
  callerId: string;
  progress: Readonly<RunProgress>;
}

/** The runs in flight, by id: cancellation from anywhere, ownership, and draining at shutdown. */
export class ActiveRuns {
  private readonly runs = new Map<string, ActiveRun>();
  private readonly endListeners: RunEndListener[] = [];
  private accepting = true;

  /** Tells `listener` of every run's end once it is recorded (queued tasks follow their parent run). */
  onEnd(listener: RunEndListener): void {
    this.endListeners.push(listener);
  }

  get count(): number {
    return this.runs.size;
  }

  /** Throws once draining has begun; called before a run is admitted. */
  checkAccepting(): void {
    if (!this.accepting) throw new GatewayError("unavailable", "the daemon is shutting down", { code: "shutting_down" });
  }

  /** A new run's handle, for a run about to start. */
  begin(caller: Caller, startedAt: number): ActiveRun {
    return {
      callerId: caller.id,
      controller: new AbortController(),
      cancelReason: undefined,
      done: Promise.resolve({ status: "succeeded" }),
      progress: { startedAt, lastAt: startedAt, promptTokens: 0, outputChars: 0, reported: undefined },
    };
  }

  /** Every run in flight with its progress. */
  inFlight(): InFlightRun[] {
    return [...this.runs].map(([runId, run]) => ({ runId, callerId: run.callerId, progress: run.progress }));
  }

  /** Cancels a run in flight on the daemon's own behalf (the watchdog); false when it is not in flight. */
  cancelById(runId: string, reason: string): boolean {
    const run = this.runs.get(runId);
    if (run === undefined) return false;
    this.cancel(run, reason);
    return true;
  }

  /** Keeps the run findable by id until its end is recorded. */
  track(runId: string, run: ActiveRun, done: Promise<RunEnd>): void {
    run.done = done.finally(() => this.runs.delete(runId));
    this.runs.set(runId, run);
    if (this.endListeners.length > 0) {
      done.then(
        (end) => {
          for (const listener of this.endListeners) listener(runId, end.status);
        },
        () => undefined,
      );
    }
  }

  cancel(run: ActiveRun, reason: string): void {
    if (run.controller.signal.aborted) return;
    // A caller's reason is recorded with the run and logged: kept to a sensible length.
    run.cancelReason = clipReason(reason);
    run.controller.abort(new GatewayError("cancelled", run.cancelReason));
  }

  /**
   * Cancels a run from any connection and waits until its end is recorded; a finished run's status
   * comes from `findFinished`. Only the run's own caller (or the admin) may: anyone else is told there
   * is no such run, so run ids reveal nothing.
   */
  async abort(
    runId: string,
    reason: string,
    caller: Caller,
    findFinished: (runId: string) => Promise<{ callerId: string; status: RunStatus } | undefined>,
  ): Promise<{ aborted: boolean; status: RunStatus }> {
    const mayTouch = (callerId: string) => caller.kind === "admin" || callerId === caller.id;
    const run = this.runs.get(runId);
    if (run !== undefined && mayTouch(run.callerId)) {
      this.cancel(run, reason);
      const end = await run.done;
      return { aborted: end.status === "cancelled", status: end.status };
    }
    const finished = run === undefined ? await findFinished(runId) : undefined;
    if (finished === undefined || !mayTouch(finished.callerId)) {
      throw new GatewayError("not_found", `no run with id ${shown(runId)}`, { param: "run_id", code: "run_not_found" });
    }
    return { aborted: false, status: finished.status };
  }

  /** Stops new runs, lets those in flight finish for up to graceMs, cancels the rest, and waits until every end is recorded. */
  async drain(graceMs: number): Promise<void> {
    this.accepting = false;
    const pending = () => [...this.runs.values()].map((run) => run.done);
    await settleWithin(graceMs, pending());
    for (const run of this.runs.values()) this.cancel(run, "the daemon is shutting down");
    await Promise.allSettled(pending());
  }
}
