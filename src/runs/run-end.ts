import type { RunCost, RunSettlement } from "../governance/run-governance.js";
import { GatewayError, toGatewayError } from "../shared/errors.js";
import type { FinishReason, Usage } from "../shared/model-types.js";

/** The model that served a run (after failover, the one that answered). */
export interface ServedBy {
  modelId: string;
  providerId: string;
  upstreamModel: string;
}

/**
 * How a run ended, whatever its kind (chat, embeddings, transcription): the one shape the terminal
 * event, the ledger row, budget settlement and the run's status for AbortRun are all made from.
 */
export type RunEnd = {
  runId: string;
  startedAt: number;
  finishedAt: number;
  servedBy: ServedBy;
  /** Upstream calls made; 0 for a cache hit. */
  attempts: number;
  cacheHit: boolean;
  /** Milliseconds from start to the first output, when there was any. */
  firstOutputMs: number | undefined;
  /**
   * What the run is charged and recorded with: nothing for a cache hit (no upstream tokens), and for
   * failed and cancelled runs only what the upstream reported.
   */
  usage: Usage | undefined;
  /** Zero until settlement prices the run (closeRun). */
  cost: RunCost;
} & (
  | { status: "succeeded"; finishReason: FinishReason | undefined; error?: undefined }
  /** Cancelled runs carry a "cancelled" error whose message is the cancel reason. */
  | { status: "failed" | "cancelled"; error: GatewayError; finishReason?: undefined }
);

/** The serving model of a route candidate or a resolved model, as a run's end names it. */
export function servedBy({ model, provider }: { model: { modelId: string; upstreamModel: string }; provider: { providerId: string } }): ServedBy {
  return { modelId: model.modelId, providerId: provider.providerId, upstreamModel: model.upstreamModel };
}

/** What a run's work left behind, whether it finished or not: the facts its end is built from. */
export interface RunFacts {
  servedBy: ServedBy;
  attempts: number;
  cacheHit: boolean;
  firstOutputMs: number | undefined;
  /** What the upstream reported (or, for a finished chat, the estimate); a cache hit's stored usage. */
  usage: Usage | undefined;
  finishReason?: FinishReason | undefined;
  /** Set when the work stopped with an error rather than finishing. */
  failure?: { error: unknown } | undefined;
}

/** A run in flight as its end is judged: when it began, and whether (and why) it was cancelled. */
export interface EndingRun {
  runId: string;
  startedAt: number;
  signal: AbortSignal;
  /** Why the run was cancelled, once it was. */
  cancelReason(): string | undefined;
}

const noUsage: Usage = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, estimated: false };
const unpriced: RunCost = { costUsd: 0, costEstimated: false };

/**
 * Builds a run's end: finished work succeeded; work that stopped because the run was cancelled
 * (its signal aborted with a reason) was cancelled; anything else failed.
 */
export function buildRunEnd(run: EndingRun, facts: RunFacts, finishedAt: number): RunEnd {
  const common = {
    runId: run.runId,
    startedAt: run.startedAt,
    finishedAt,
    servedBy: facts.servedBy,
    attempts: facts.attempts,
    cacheHit: facts.cacheHit,
    firstOutputMs: facts.firstOutputMs,
    usage: facts.cacheHit ? noUsage : facts.usage,
    cost: unpriced,
  };
  if (facts.failure === undefined) return { ...common, status: "succeeded", finishReason: facts.finishReason };
  const reason = run.cancelReason();
  if (run.signal.aborted && reason !== undefined) return { ...common, status: "cancelled", error: new GatewayError("cancelled", reason) };
  return { ...common, status: "failed", error: toGatewayError(facts.failure.error) };
}

/** The end of a run that happened but could not be recorded: the caller must not trust it as recorded. */
export function unrecordedEnd(end: RunEnd): RunEnd {
  const { finishReason: _finishReason, ...rest } = end;
  return { ...rest, status: "failed", error: new GatewayError("internal", "the run finished but could not be recorded") };
}

/** What governance charges the run's budgets by. */
export function settlementOf(end: RunEnd): RunSettlement {
  return { status: end.status, ...end.servedBy, usage: end.usage, cacheHit: end.cacheHit };
}
