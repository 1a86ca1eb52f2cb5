import type { Caller } from "../identity/caller.js";
import type { Usage } from "../shared/model-types.js";
import type { ResolvedModel } from "../registry/model-registry.js";
import type { Kysely } from "kysely";
import { insertRun, updateRun } from "../store/runs-repository.js";
import type { Database, RunKind, RunStatus } from "../store/tables.js";

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

/** How a run ended, as recorded. Usage of failed and cancelled runs is only what the upstream reported. */
export interface RunOutcome {
  status: Exclude<RunStatus, "running">;
  finishReason?: string | undefined;
  usage?: Usage | undefined;
  firstOutputMs?: number | undefined;
  errorKind?: string | undefined;
  errorMessage?: string | undefined;
  attempts: number;
  /** The model that served the run when failover moved it off the admitted one. */
  servedBy?: { modelId: string; providerId: string; upstreamModel: string } | undefined;
  cacheHit?: boolean;
  costUsd?: number;
  costEstimated?: boolean;
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
export async function recordRunEnd(db: Kysely<Database>, run: { runId: string; startedAt: number; finishedAt: number }, outcome: RunOutcome): Promise<void> {
  const usage = outcome.usage;
  await updateRun(db, run.runId, {
    status: outcome.status,
    finished_at: run.finishedAt,
    duration_ms: run.finishedAt - run.startedAt,
    first_output_ms: outcome.firstOutputMs ?? null,
    finish_reason: outcome.finishReason ?? null,
    input_tokens: usage?.inputTokens ?? 0,
    output_tokens: usage?.outputTokens ?? 0,
    cached_input_tokens: usage?.cachedInputTokens ?? 0,
    cache_write_tokens: usage?.cacheWriteTokens ?? 0,
    usage_estimated: usage?.estimated ? 1 : 0,
    attempts: outcome.attempts,
    cache_hit: outcome.cacheHit ? 1 : 0,
    cost_usd: outcome.costUsd ?? 0,
    cost_estimated: outcome.costEstimated ? 1 : 0,
    ...(outcome.servedBy !== undefined && {
      model_id: outcome.servedBy.modelId,
      provider_id: outcome.servedBy.providerId,
      upstream_model: outcome.servedBy.upstreamModel,
    }),
    error_kind: outcome.errorKind ?? null,
    error_message: outcome.errorMessage ?? null,
  });
}
