import type { MessageInitShape } from "@bufbuild/protobuf";
import { CircuitState, type ExplainRoutingResponseSchema, type ResponseCacheStatusSchema } from "../../../gen/es/palyra/gateway/v1/models_pb.js";
import type { CircuitStateName } from "../../registry/circuit-breaker.js";
import type { HealthRecord } from "../../registry/provider-health.js";
import type { ResponseCacheStats } from "../../registry/response-cache.js";
import type { RouteCandidate } from "../../registry/route-candidates.js";
import { healthStateToProto } from "./health-to-proto.js";

export const circuitStates: Record<CircuitStateName, CircuitState> = {
  closed: CircuitState.CLOSED,
  open: CircuitState.OPEN,
  half_open: CircuitState.HALF_OPEN,
};

export function explanationToProto(
  requestedModel: string,
  explanation: { plan: RouteCandidate[]; failover: boolean; cacheHit: boolean },
  healthOf: (providerId: string) => HealthRecord["state"],
): MessageInitShape<typeof ExplainRoutingResponseSchema> {
  const first = explanation.plan.find((candidate) => candidate.kept);
  return {
    requestedModel,
    selectedModel: first?.model.modelId ?? "",
    failoverEnabled: explanation.failover,
    cacheHit: explanation.cacheHit,
    candidates: explanation.plan.map((candidate) => ({
      modelId: candidate.model.modelId,
      providerId: candidate.provider.providerId,
      order: candidate.order,
      kept: candidate.kept,
      reason: candidate.reason,
      circuit: circuitStates[candidate.circuit.state],
      health: healthStateToProto(healthOf(candidate.provider.providerId)),
      costTier: candidate.model.costTier,
      latencyTier: candidate.model.latencyTier,
    })),
  };
}

export function cacheStatusToProto(stats: ResponseCacheStats): MessageInitShape<typeof ResponseCacheStatusSchema> {
  return { ...stats, hits: BigInt(stats.hits), misses: BigInt(stats.misses) };
}
