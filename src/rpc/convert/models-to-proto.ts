import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  CircuitState,
  HealthState,
  type ModelSchema,
  ModelRole as ProtoModelRole,
  type ProviderStatusSchema,
} from "../../../gen/es/palyra/gateway/v1/models_pb.js";
import type { ModelRole } from "../../config/schema.js";
import type { RegisteredModel, RegisteredProvider } from "../../registry/model-registry.js";

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
  provider: RegisteredProvider,
  modelCount: number,
): MessageInitShape<typeof ProviderStatusSchema> {
  return {
    providerId: provider.providerId,
    kind: provider.kind,
    baseUrl: provider.baseUrl ?? "",
    enabled: provider.enabled,
    modelCount,
    // No background checks run yet: report "unknown" rather than a health nobody measured.
    health: { state: HealthState.UNKNOWN, detail: "not checked" },
    circuit: { state: CircuitState.CLOSED, consecutiveFailures: 0 },
  };
}
