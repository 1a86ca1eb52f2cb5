import { GatewayError } from "../shared/errors.js";
import type { Logger } from "../shared/logger.js";
import { type PeriodicTask, startPeriodicTask } from "../shared/periodic-task.js";
import type { ModelRegistry, RegisteredModel, RegisteredProvider } from "./model-registry.js";
import { type ConnectionOutcome, defaultProbeTimeoutMs, ProviderHealth } from "./provider-health.js";

/** What discovery found on one provider. */
export interface DiscoveryResult {
  providerId: string;
  outcome: ConnectionOutcome;
  detail: string;
  /** Every model the provider lists. */
  upstreamModels: string[];
  /** Registry ids of the models this call added. */
  addedModelIds: string[];
}

/**
 * Lists the models of every enabled HTTP provider (or of the one named) and adds each upstream model
 * the provider does not serve yet as a chat model "<provider_id>/<upstream_model>", marked discovered,
 * with no capabilities claimed and the default tiers. Listing goes through `health` when given, so a
 * discovery also counts as a health check.
 */
export async function discoverModels(
  registry: ModelRegistry,
  health: ProviderHealth = new ProviderHealth(),
  providerId?: string,
  signal?: AbortSignal,
): Promise<DiscoveryResult[]> {
  const providers = providersToDiscover(registry, providerId);
  return Promise.all(providers.map((provider) => discoverOn(registry, health, provider, signal)));
}

/**
 * Runs discovery every `intervalMs` and logs what it added. Only started when [model_provider]
 * discovery_enabled is set: otherwise models never appear without an operator asking for them.
 */
export function startBackgroundDiscovery(registry: ModelRegistry, health: ProviderHealth, intervalMs: number, logger: Logger): PeriodicTask {
  return startPeriodicTask(
    async (signal) => {
      for (const result of await discoverModels(registry, health, undefined, signal)) {
        if (result.addedModelIds.length > 0) logger.info({ providerId: result.providerId, models: result.addedModelIds }, "discovered models");
      }
    },
    intervalMs,
    (error) => logger.error({ err: error }, "model discovery failed"),
  );
}

function providersToDiscover(registry: ModelRegistry, providerId: string | undefined): RegisteredProvider[] {
  if (providerId !== undefined && providerId !== "") return [requireProvider(registry, providerId)];
  return registry.listProviders().filter((provider) => provider.enabled && provider.client.listModels !== undefined);
}

/** The provider with this id, or NOT_FOUND naming the request's provider_id field. */
export function requireProvider(registry: ModelRegistry, providerId: string): RegisteredProvider {
  const provider = registry.listProviders().find((candidate) => candidate.providerId === providerId);
  if (provider === undefined) {
    throw new GatewayError("not_found", `provider "${providerId}" does not exist`, { param: "provider_id", code: "provider_not_found" });
  }
  return provider;
}

async function discoverOn(
  registry: ModelRegistry,
  health: ProviderHealth,
  provider: RegisteredProvider,
  signal: AbortSignal | undefined,
): Promise<DiscoveryResult> {
  const probe = await health.probe(provider, defaultProbeTimeoutMs, signal);
  const { providerId, outcome, detail, models: upstreamModels } = probe;
  const result: DiscoveryResult = { providerId, outcome, detail, upstreamModels, addedModelIds: [] };
  if (probe.outcome !== "ok" || signal?.aborted === true) return result;
  const served = new Set(
    registry
      .listModels({ includeDisabled: true })
      .filter((model) => model.providerId === provider.providerId)
      .map((model) => model.upstreamModel),
  );
  for (const upstreamModel of new Set(probe.models)) {
    if (served.has(upstreamModel)) continue;
    const model = discoveredChatModel(provider.providerId, upstreamModel);
    if (registry.addDiscoveredModel(model)) result.addedModelIds.push(model.modelId);
  }
  return result;
}

/** A discovered model claims nothing it has not shown: no capabilities, and the defaults of a configured model. */
function discoveredChatModel(providerId: string, upstreamModel: string): RegisteredModel {
  return {
    modelId: `${providerId}/${upstreamModel}`,
    providerId,
    upstreamModel,
    role: "chat",
    enabled: true,
    capabilities: { toolCalls: false, jsonMode: false, vision: false },
    // The schema's defaults for a [[model_provider.models]] entry that sets none of these.
    maxContextTokens: 128_000,
    costTier: 5,
    latencyTier: 5,
    discovered: true,
    cacheUnsetTemperature: false,
    maxOutputTokens: 4096,
  };
}
