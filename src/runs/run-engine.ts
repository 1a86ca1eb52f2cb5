import type { Caller } from "../identity/caller.js";
import type { EmbeddingsResult, TranscriptionResult } from "../shared/model-types.js";
import type { PeriodicTask } from "../shared/periodic-task.js";
import type { RunInput } from "../shared/run-input.js";
import { findRun } from "../store/runs-repository.js";
import type { RunRow, RunStatus } from "../store/tables.js";
import type { InFlightRun, RunEndListener } from "./active-runs.js";
import { embed } from "./embeddings-run.js";
import { explainRoute, type RouteExplanation } from "./explain-route.js";
import { createRunContext, type RunContext, type RunEngineDeps } from "./run-context.js";
import { startRunHeartbeats } from "./run-heartbeats.js";
import { type RunHandle, startChat } from "./start-chat.js";
import { transcribe } from "./transcription-run.js";
import type { EmbedInput, TranscribeInput } from "./unary-input.js";
import type { UnaryRunResult } from "./unary-run.js";

export type { InFlightRun, RunEndListener } from "./active-runs.js";
// The engine's surface stays importable from here (rpc/, main.ts).
export type { RunEngineDeps, UsageObserver } from "./run-context.js";
export type { RunHandle } from "./start-chat.js";
export type { UnaryRunResult } from "./unary-run.js";

/**
 * Admits, runs, cancels and records runs. Transport-free: rpc/ drives it. Every kind of run is
 * admitted by admitRun and closed out by closeRun, and ends in one shape, RunEnd.
 */
export class RunEngine {
  private readonly context: RunContext;

  constructor(deps: RunEngineDeps) {
    this.context = createRunContext(deps);
  }

  get activeCount(): number {
    return this.context.active.count;
  }

  /** Validates and admits a chat run, records it as running, and starts it. Throws before admission. */
  start(input: RunInput, caller: Caller): Promise<RunHandle> {
    return startChat(this.context, input, caller);
  }

  /**
   * What routing would do with a chat request, without running it: the candidates kept and dropped
   * with reasons and order, whether the cache would answer, smart routing's decision (undefined when
   * off) and what budgets would decide (undefined without governance). Invalid requests fail as a run would.
   */
  explainRoute(input: RunInput, caller: Caller): Promise<RouteExplanation> {
    return explainRoute(this.context, input, caller);
  }

  /** Embeds a batch of texts as one recorded run. Aborting `signal` (the caller's) cancels it. */
  embed(input: EmbedInput, caller: Caller, signal: AbortSignal): Promise<UnaryRunResult<EmbeddingsResult>> {
    return embed(this.context, input, caller, signal);
  }

  /** Transcribes one audio file as one recorded run. Aborting `signal` (the caller's) cancels it. */
  transcribe(input: TranscribeInput, caller: Caller, signal: AbortSignal): Promise<UnaryRunResult<TranscriptionResult>> {
    return transcribe(this.context, input, caller, signal);
  }

  /** Cancels a run from any connection (its own caller's, or any for the admin) and waits until its end is recorded. */
  abort(runId: string, reason: string, caller: Caller): Promise<{ aborted: boolean; status: RunStatus }> {
    return this.context.active.abort(runId, reason, caller, async (id) => {
      const row = await findRun(this.context.deps.store.db, id);
      return row && { callerId: row.caller_id, status: row.status };
    });
  }

  /** The runs in flight and their progress (the watchdog reads it). */
  inFlight(): InFlightRun[] {
    return this.context.active.inFlight();
  }

  /**
   * Writes the heartbeat (progress time and usage so far) of runs that progressed, every intervalMs,
   * until stopped; a run killed with the daemon is charged its last one at the next start.
   */
  startHeartbeats(intervalMs: number): PeriodicTask {
    const { store, logger } = this.context.deps;
    return startRunHeartbeats({ db: store.db, active: this.context.active, intervalMs, logger });
  }

  /** Tells `listener` of every run's end once it is recorded. */
  onRunEnd(listener: RunEndListener): void {
    this.context.active.onEnd(listener);
  }

  /** Cancels a run in flight on the daemon's own behalf; false when it is not in flight. */
  cancelRun(runId: string, reason: string): boolean {
    return this.context.active.cancelById(runId, reason);
  }

  /** A run's row in the ledger (its end, once recorded; usage so far while it runs). */
  recorded(runId: string): Promise<RunRow | undefined> {
    return findRun(this.context.deps.store.db, runId);
  }

  /** Stops admitting runs, lets in-flight runs finish for up to graceMs, then cancels the rest and waits until every end is recorded. */
  drain(graceMs: number): Promise<void> {
    return this.context.active.drain(graceMs);
  }
}
