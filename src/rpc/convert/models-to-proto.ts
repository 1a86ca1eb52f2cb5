import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type ModelSchema, ModelRole as ProtoModelRole, type ProviderStatusSchema } from "../../../gen/es/palyra/gateway/v1/models_pb.js";
import type { ModelRole } from "../../config/schema.js";
import type { CircuitSnapshot } from "../../registry/circuit-breaker.js";
import type { RegisteredModel, RegisteredProvider } from "../../registry/model-registry.js";
import type { HealthRecord } from "../../registry/provider-health.js";
import { redactUrl } from "../../shared/redact-url.js";
import { healthToProto } from "./health-to-proto.js";
import { circuitStates } from "./resilience-to-proto.js";

const modelRoles: Record<ModelRole, ProtoModelRole> = {
  chat: ProtoModelRole.CHAT,
  embeddings: ProtoModelRole.EMBEDDINGS,
  audio_transcription: ProtoModelRole.AUDIO_TRANSCRIPTION,
};

export function modelRoleFromProto(role: ProtoModelRole): ModelRole | undefined {
  return (Object.keys(modelRoles) as ModelRole[]).find((key) => modelRoles[key] === role);
}

export function modelToProto(model: RegisteredModel): MessageInitShape<typeof ModelSchema> {
  return { ...model, role: modelRoles[model.role] };
}

export function providerStatusToProto(
  provider: Pick<RegisteredProvider, "providerId" | "kind" | "baseUrl" | "enabled">,
  modelCount: number,
  health: HealthRecord,
  circuit: CircuitSnapshot,
): MessageInitShape<typeof ProviderStatusSchema> {
  return {
    providerId: provider.providerId,
    kind: provider.kind,
    // A base_url may carry a key in its query or userinfo: shown without them wherever it is listed.
    baseUrl: provider.baseUrl === undefined ? "" : redactUrl(provider.baseUrl),
    enabled: provider.enabled,
    modelCount,
    health: healthToProto(health),
    circuit: {
      state: circuitStates[circuit.state],
      consecutiveFailures: circuit.consecutiveFailures,
      retryAfterMs: circuit.retryAfterMs,
      ...(circuit.openedAt !== undefined && { openedAt: timestampFromMs(circuit.openedAt) }),
    },
  };
}
