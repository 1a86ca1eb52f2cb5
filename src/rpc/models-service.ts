import type { ServiceImpl } from "@connectrpc/connect";
import { ModelRole, type ModelsService } from "../../gen/es/palyra/gateway/v1/models_pb.js";
import { invalidRequest } from "../errors.js";
import type { ModelRegistry } from "../registry/model-registry.js";
import { modelRoleFromProto, modelToProto, providerStatusToProto } from "./convert/models-to-proto.js";

export function createModelsService(registry: ModelRegistry): ServiceImpl<typeof ModelsService> {
  return {
    listModels(request) {
      const role = request.role === ModelRole.UNSPECIFIED ? undefined : modelRoleFromProto(request.role);
      if (request.role !== ModelRole.UNSPECIFIED && role === undefined) throw invalidRequest("role", `unknown role ${request.role}`);
      const models = registry.listModels({ includeDisabled: request.includeDisabled, ...(role !== undefined && { role }) });
      return { models: models.map(modelToProto) };
    },

    getModelsStatus() {
      const models = registry.listModels({ includeDisabled: true });
      const { defaults } = registry;
      return {
        providers: registry
          .listProviders()
          .map((provider) => providerStatusToProto(provider, models.filter((model) => model.providerId === provider.providerId).length)),
        defaults: {
          chatModelId: defaults.chatModelId ?? "",
          embeddingsModelId: defaults.embeddingsModelId ?? "",
          audioTranscriptionModelId: defaults.audioTranscriptionModelId ?? "",
          failoverEnabled: defaults.failoverEnabled,
          responseCacheEnabled: defaults.responseCacheEnabled,
        },
      };
    },
  };
}
