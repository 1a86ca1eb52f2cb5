import { BlockedUrlError, checkUpstreamUrl } from "../registry/netguard/upstream-url.js";
import { checkBudgets } from "./check-budgets.js";
import { checkPricing } from "./check-pricing.js";
import { ConfigError } from "./config-error.js";
import type { GatewayConfig, ModelRole } from "./schema.js";

/** Cross-table rules zod cannot express: unique ids, existing references, one credential source. */
export function checkReferences(config: GatewayConfig, source: string): void {
  const registry = config.model_provider;
  const providerIds = new Set<string>();

  registry.providers.forEach((provider, index) => {
    const key = `model_provider.providers[${index}]`;
    if (providerIds.has(provider.provider_id)) {
      throw new ConfigError(source, `${key}.provider_id`, `duplicate provider_id "${provider.provider_id}"`);
    }
    providerIds.add(provider.provider_id);
    if (provider.kind !== "deterministic" && provider.base_url === undefined) {
      throw new ConfigError(source, `${key}.base_url`, `required for kind "${provider.kind}"`);
    }
    if (provider.base_url !== undefined) checkBaseUrl(provider.base_url, `${key}.base_url`, source);
    const credentials = (["api_key", "api_key_vault_ref", "api_key_secret_ref", "auth_profile_id"] as const).filter(
      (field) => provider[field] !== undefined,
    );
    if (credentials.length > 1) {
      throw new ConfigError(source, key, `set only one of ${credentials.join(", ")}`);
    }
    if (provider.stream_chunk_delay_ms !== undefined && provider.kind !== "deterministic") {
      throw new ConfigError(source, `${key}.stream_chunk_delay_ms`, 'only valid for kind "deterministic"');
    }
  });

  const modelRoles = new Map<string, ModelRole>();
  registry.models.forEach((model, index) => {
    const key = `model_provider.models[${index}]`;
    if (modelRoles.has(model.model_id)) {
      throw new ConfigError(source, `${key}.model_id`, `duplicate model_id "${model.model_id}"`);
    }
    if (!providerIds.has(model.provider_id)) {
      throw new ConfigError(source, `${key}.provider_id`, `no provider with provider_id "${model.provider_id}"`);
    }
    modelRoles.set(model.model_id, model.role);
  });

  const defaults: [string | undefined, ModelRole, string][] = [
    [registry.default_chat_model_id, "chat", "default_chat_model_id"],
    [registry.default_embeddings_model_id, "embeddings", "default_embeddings_model_id"],
    [registry.default_audio_transcription_model_id, "audio_transcription", "default_audio_transcription_model_id"],
  ];
  for (const [modelId, role, field] of defaults) {
    if (modelId === undefined) continue;
    const actual = modelRoles.get(modelId);
    if (actual === undefined) {
      throw new ConfigError(source, `model_provider.${field}`, `no model with model_id "${modelId}"`);
    }
    if (actual !== role) {
      throw new ConfigError(source, `model_provider.${field}`, `model "${modelId}" has role "${actual}", not "${role}"`);
    }
  }
  checkPricing(config, source, new Set(modelRoles.keys()));
  checkBudgets(config, source);
}

/** The URL's shape (scheme, no user name or password); its addresses are checked at connect time. */
function checkBaseUrl(url: string, key: string, source: string): void {
  try {
    checkUpstreamUrl(url, key);
  } catch (error) {
    if (error instanceof BlockedUrlError) throw new ConfigError(source, error.settingKey, error.problem);
    throw error;
  }
}
