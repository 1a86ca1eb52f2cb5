import { BlockedUrlError, checkUpstreamUrl } from "../shared/netguard/upstream-url.js";
import { callsHttpUpstream } from "../shared/provider-kinds.js";
import type { ReportProblem } from "./config-error.js";
import type { GatewayConfig, ModelRole } from "./schema.js";

/** Provider rules zod cannot express: unique ids, a base_url where the kind needs one, one credential source. */
export function checkProviders(config: GatewayConfig, report: ReportProblem): void {
  const providerIds = new Set<string>();
  config.model_provider.providers.forEach((provider, index) => {
    const key = `model_provider.providers[${index}]`;
    if (providerIds.has(provider.provider_id)) report(`${key}.provider_id`, `duplicate provider_id "${provider.provider_id}"`);
    providerIds.add(provider.provider_id);
    if (callsHttpUpstream(provider.kind) && provider.base_url === undefined) report(`${key}.base_url`, `required for kind "${provider.kind}"`);
    if (provider.base_url !== undefined) checkBaseUrl(provider.base_url, `${key}.base_url`, report);
    const credentials = (["api_key", "api_key_vault_ref", "api_key_secret_ref", "auth_profile_id"] as const).filter((field) => provider[field] !== undefined);
    if (credentials.length > 1) report(key, `set only one of ${credentials.join(", ")}`);
    if (provider.stream_chunk_delay_ms !== undefined && provider.kind !== "deterministic") {
      report(`${key}.stream_chunk_delay_ms`, 'only valid for kind "deterministic"');
    }
  });
}

/** Model rules: unique ids, and each model's provider configured. */
export function checkModels(config: GatewayConfig, report: ReportProblem): void {
  const providerIds = new Set(config.model_provider.providers.map((provider) => provider.provider_id));
  const modelIds = new Set<string>();
  config.model_provider.models.forEach((model, index) => {
    const key = `model_provider.models[${index}]`;
    if (modelIds.has(model.model_id)) report(`${key}.model_id`, `duplicate model_id "${model.model_id}"`);
    modelIds.add(model.model_id);
    if (!providerIds.has(model.provider_id)) report(`${key}.provider_id`, `no provider with provider_id "${model.provider_id}"`);
  });
}

/** Each default_*_model_id names a configured model of the matching role. */
export function checkDefaultModels(config: GatewayConfig, report: ReportProblem): void {
  const registry = config.model_provider;
  // Duplicate ids are checkModels' to report; here the first model with an id is the one judged.
  const modelRoles = new Map<string, ModelRole>();
  for (const model of registry.models) if (!modelRoles.has(model.model_id)) modelRoles.set(model.model_id, model.role);
  const defaults: [string | undefined, ModelRole, string][] = [
    [registry.default_chat_model_id, "chat", "default_chat_model_id"],
    [registry.default_embeddings_model_id, "embeddings", "default_embeddings_model_id"],
    [registry.default_audio_transcription_model_id, "audio_transcription", "default_audio_transcription_model_id"],
  ];
  for (const [modelId, role, field] of defaults) {
    if (modelId === undefined) continue;
    const actual = modelRoles.get(modelId);
    if (actual === undefined) report(`model_provider.${field}`, `no model with model_id "${modelId}"`);
    else if (actual !== role) report(`model_provider.${field}`, `model "${modelId}" has role "${actual}", not "${role}"`);
  }
}

/** The URL's shape (scheme, no user name or password); its addresses are checked at connect time. */
function checkBaseUrl(url: string, key: string, report: ReportProblem): void {
  try {
    checkUpstreamUrl(url, key);
  } catch (error) {
    if (!(error instanceof BlockedUrlError)) throw error;
    report(error.settingKey, error.problem);
  }
}
