import type { ServiceImpl } from "@connectrpc/connect";
import { ModelRole, type ModelsService } from "../../gen/es/palyra/gateway/v1/models_pb.js";
import type { BudgetOutcome } from "../governance/run-governance.js";
import { discoverModels, requireProvider } from "../registry/model-discovery.js";
import type { ModelRegistry } from "../registry/model-registry.js";
import type { ProviderCircuits } from "../registry/provider-circuits.js";
import { defaultProbeTimeoutMs, type ProviderHealth } from "../registry/provider-health.js";
import type { ResponseCache } from "../registry/response-cache.js";
import type { RunEngine } from "../runs/run-engine.js";
import { invalidRequest } from "../shared/errors.js";
import { requireCaller } from "./caller-context.js";
import { discoveryResultToProto, probeResultToProto } from "./convert/health-to-proto.js";
import { modelRoleFromProto, modelToProto, providerStatusToProto } from "./convert/models-to-proto.js";
import { cacheStatusToProto, explanationToProto } from "./convert/resilience-to-proto.js";
import { runInputFromProto } from "./convert/run-input-from-proto.js";

/** A probe that takes longer than this is not a connection test any more. */
const maxProbeTimeoutMs = 300_000;

export interface ModelsServiceDeps {
  registry: ModelRegistry;
  health: ProviderHealth;
  circuits: ProviderCircuits;
  cache: ResponseCache;
  engine: RunEngine;
}

export function createModelsService(deps: ModelsServiceDeps): ServiceImpl<typeof ModelsService> {
  const { registry, health, circuits, cache } = deps;
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
          .map((provider) =>
            providerStatusToProto(
              provider,
              models.filter((model) => model.providerId === provider.providerId).length,
              health.stateOf(provider.providerId),
              circuits.snapshot(provider.providerId),
            ),
          ),
        cache: cacheStatusToProto(cache.stats()),
        defaults: {
          chatModelId: defaults.chatModelId ?? "",
          embeddingsModelId: defaults.embeddingsModelId ?? "",
          audioTranscriptionModelId: defaults.audioTranscriptionModelId ?? "",
          failoverEnabled: defaults.failoverEnabled,
          responseCacheEnabled: defaults.responseCacheEnabled,
        },
      };
    },

    async testConnection(request, context) {
      const providers =
        request.providerId === "" ? registry.listProviders().filter((provider) => provider.enabled) : [requireProvider(registry, request.providerId)];
      if (request.timeoutMs > maxProbeTimeoutMs) throw invalidRequest("timeout_ms", `must be at most ${maxProbeTimeoutMs}`);
      const timeoutMs = request.timeoutMs === 0 ? defaultProbeTimeoutMs : request.timeoutMs;
      const results = await Promise.all(providers.map((provider) => health.probe(provider, timeoutMs, context.signal)));
      return { results: results.map(probeResultToProto) };
    },

    async discover(request, context) {
      const results = await discoverModels(registry, health, request.providerId, context.signal);
      return { providers: results.map(discoveryResultToProto) };
    },

    async explainRouting(request, context) {
      if (request.run === undefined) throw invalidRequest("run", "the request to explain is required");
      const input = runInputFromProto(request.run);
      const explanation = await deps.engine.explainRoute(input, requireCaller(context));
      const { smart, budget } = explanation;
      return {
        ...explanationToProto(input.model ?? "", explanation, (providerId) => health.stateOf(providerId).state),
        // Empty when smart routing is off for this request.
        routingMode: smart?.mode ?? "",
        complexity: smart?.complexity ?? 0,
        recommendedModel: smart?.recommendedModelId ?? "",
        routingReason: smart?.reason ?? "",
        budgetOutcome: budgetOutcomeText(budget),
      };
    },
  };
}

/** "admitted" (also without governance: nothing limits the run), or the refusal as "<code>: <message>". */
function budgetOutcomeText(outcome: BudgetOutcome | undefined): string {
  if (outcome === undefined || outcome.admitted) return "admitted";
  return `${outcome.code}: ${outcome.message}`;
}
