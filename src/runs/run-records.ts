import type { Kysely } from "kysely";
import type { Caller } from "../identity/caller.js";
import type { ResolvedModel } from "../registry/model-registry.js";
import { insertRun, updateRun } from "../store/runs-repository.js";
import type { Database, RunKind } from "../store/tables.js";
import type { RunEnd } from "./run-end.js";

/** Who asked for a run and on whose behalf; recorded with it. */
export interface RunAttribution {
  caller: Caller;
  agentId?: string | undefined;
  sessionId?: string | undefined;
  userId?: string | undefined;
  clientRequestId?: string | undefined;
  requestedModel?: string | undefined;
}

/** Smart routing's decision, recorded with the run. */
export interface RunRouting {
  mode: string;
  recommendedModel: string | undefined;
  complexity: number;
  dryRunChange: string;
}

/**
 * Records a run as admitted and running, before any upstream call, so no admitted run goes unrecorded.
 * `db` may be a transaction: governance records the start with the run's budget reservation.
 */
export async function recordRunStart(
  db: Kysely<Database>,
  run: { runId: string; kind: RunKind; startedAt: number; resolved: ResolvedModel; attribution: RunAttribution; routing?: RunRouting | undefined },
): Promise<void> {
  const { attribution, resolved } = run;
  await insertRun(db, {
    run_id: run.runId,
    run_kind: run.kind,
    created_at: run.startedAt,
    finished_at: null,
    status: "running",
    caller_id: attribution.caller.id,
    agent_id: attribution.agentId || null,
    session_id: attribution.sessionId || null,
    user_id: attribution.userId || null,
    client_request_id: attribution.clientRequestId || null,
    requested_model: attribution.requestedModel || null,
    model_id: resolved.model.modelId,
    provider_id: resolved.provider.providerId,
    upstream_model: resolved.model.upstreamModel,
    finish_reason: null,
    first_output_ms: null,
    duration_ms: null,
    error_kind: null,
    error_message: null,
    routing_mode: run.routing?.mode ?? null,
    recommended_model: run.routing?.recommendedModel ?? null,
    complexity: run.routing?.complexity ?? null,
    dry_run_change: run.routing?.dryRunChange || null,
  });
}

/** Records how a run ended and what it cost; `db` may be the transaction that charges its budgets. */
export async function recordRunEnd(db: Kysely<Database>, end: RunEnd): Promise<void> {
  const { usage, servedBy, error } = end;
  await updateRun(db, end.runId, {
    status: end.status,
    finished_at: end.finishedAt,
    duration_ms: end.finishedAt - end.startedAt,
    first_output_ms: end.firstOutputMs ?? null,
    finish_reason: end.finishReason ?? null,
    input_tokens: usage?.inputTokens ?? 0,
    output_tokens: usage?.outputTokens ?? 0,
    cached_input_tokens: usage?.cachedInputTokens ?? 0,
    cache_write_tokens: usage?.cacheWriteTokens ?? 0,
    usage_estimated: usage?.estimated ? 1 : 0,
    attempts: end.attempts,
    cache_hit: end.cacheHit ? 1 : 0,
    cost_usd: end.cost.costUsd,
    cost_estimated: end.cost.costEstimated ? 1 : 0,
    // Failover may have moved the run off the model it was admitted (and recorded as started) with.
    model_id: servedBy.modelId,
    provider_id: servedBy.providerId,
    upstream_model: servedBy.upstreamModel,
    error_kind: error?.kind ?? null,
    error_message: error?.message ?? null,
  });
}
