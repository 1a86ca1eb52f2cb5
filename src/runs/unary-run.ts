import { toGatewayError } from "../errors.js";
import type { Usage } from "../providers/types.js";
import type { Store } from "../store/open-store.js";
import type { RunEnd } from "./run-end.js";
import { type RunOutcome, recordRunEnd } from "./run-records.js";

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
  deps: { store: Store; now: () => number; onUsage?: ((usage: Usage) => void) | undefined },
): Promise<{ end: RunEnd; result?: T }> {
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
  await recordRunEnd(deps.store, { runId: params.runId, startedAt: params.startedAt, finishedAt: deps.now() }, outcome);
  return result === undefined ? { end } : { end, result };
}
