import { toGatewayError } from "../shared/errors.js";
import type { Usage } from "../shared/model-types.js";
import type { Store } from "../store/open-store.js";
import type { RunEnd } from "./run-end.js";
import { closeRun, type SettleRun } from "./close-run.js";
import type { RunCost } from "../governance/run-governance.js";
import { type RunOutcome, recordRunEnd } from "./run-records.js";
import type { Logger } from "../shared/logger.js";

export interface UnaryRunParams<T> {
  runId: string;
  startedAt: number;
  signal: AbortSignal;
  /** Why the run was cancelled, once it was. */
  cancelReason: () => string | undefined;
  work: (signal: AbortSignal) => Promise<{ result: T; usage: Usage | undefined }>;
}

/**
 * Runs a one-shot call (embeddings, transcription) that is already recorded as running, and records
 * how it ended. Resolves with the end and, on success, the result; never rejects on the call's failure.
 */
export async function executeUnaryRun<T>(
  params: UnaryRunParams<T>,
  deps: {
    store: Store;
    now: () => number;
    logger: Logger;
    onUsage?: ((usage: Usage) => void) | undefined;
    settle?: SettleRun | undefined;
    servedBy: { modelId: string; providerId: string; upstreamModel: string };
  },
): Promise<{ end: RunEnd; result?: T; cost: RunCost }> {
  let end: RunEnd;
  let outcome: RunOutcome;
  let result: T | undefined;
  try {
    const answer = await params.work(params.signal);
    result = answer.result;
    end = { status: "succeeded" };
    outcome = { status: "succeeded", usage: answer.usage, attempts: 1 };
  } catch (error) {
    const reason = params.cancelReason();
    if (params.signal.aborted && reason !== undefined) {
      end = { status: "cancelled", reason };
      outcome = { status: "cancelled", errorKind: "cancelled", errorMessage: reason, attempts: 1 };
    } else {
      const failure = toGatewayError(error);
      end = { status: "failed", error: failure };
      outcome = { status: "failed", errorKind: failure.kind, errorMessage: failure.message, attempts: 1 };
    }
  }
  if (outcome.usage !== undefined) deps.onUsage?.(outcome.usage);
  const times = { runId: params.runId, startedAt: params.startedAt, finishedAt: deps.now() };
  const settlement = { status: outcome.status, ...deps.servedBy, usage: outcome.usage, cacheHit: false };
  const cost = await closeRun({ db: deps.store.db, settle: deps.settle, logger: deps.logger }, settlement, (db, cost) => recordRunEnd(db, times, { ...outcome, ...cost }));
  return result === undefined ? { end, cost } : { end, result, cost };
}
