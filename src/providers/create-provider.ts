import type { ModelProviderConfig, ProviderConfig } from "../config/schema.js";
import { type CredentialSources, resolveProviderApiKey, resolveProviderCredential } from "../identity/secret-ref.js";
import { createGuardedDispatcher } from "../shared/netguard/guarded-dispatcher.js";
import { checkUpstreamUrl } from "../shared/netguard/upstream-url.js";
import { AnthropicProvider } from "./anthropic/anthropic-provider.js";
import { DeterministicProvider } from "./deterministic/deterministic-provider.js";
import { OpenAICompatibleProvider } from "./openai/openai-provider.js";
import type { HttpProviderOptions } from "./provider-options.js";
import type { ModelProvider } from "../shared/model-types.js";

/**
 * Builds the provider a [[model_provider.providers]] entry describes, with its credential resolved
 * (vault references through `sources.vault`, per request)
 * and the [model_provider] defaults applied where the entry does not override them. HTTP providers
 * get their own connection pool, whose connections are checked against the address guard; the URL's
 * shape is checked here, at start-up, but its host is resolved only when a connection opens.
 */
export function createProvider(
  config: ProviderConfig,
  registry: ModelProviderConfig,
  env: NodeJS.ProcessEnv,
  sources: CredentialSources = {},
): ModelProvider {
  if (config.kind === "deterministic") {
    return new DeterministicProvider({
      providerId: config.provider_id,
      ...(config.stream_chunk_delay_ms !== undefined && { chunkDelayMs: config.stream_chunk_delay_ms }),
    });
  }
  // Config validation guarantees a base_url for every HTTP kind.
  const baseUrl = config.base_url ?? "";
  const index = registry.providers.indexOf(config);
  checkUpstreamUrl(baseUrl, index >= 0 ? `model_provider.providers[${index}].base_url` : `base_url of provider "${config.provider_id}"`);
  const requestTimeoutMs = config.request_timeout_ms ?? registry.request_timeout_ms;
  const options: HttpProviderOptions = {
    providerId: config.provider_id,
    baseUrl,
    ...resolveProviderCredential(config, env, sources),
    requestTimeoutMs,
    dispatcher: createGuardedDispatcher({
      allowPrivate: config.allow_private_base_url,
      providerId: config.provider_id,
      connectTimeoutMs: Math.min(10_000, requestTimeoutMs),
      idleTimeoutMs: requestTimeoutMs,
    }),
  };
  return config.kind === "anthropic" ? new AnthropicProvider(options) : new OpenAICompatibleProvider(options);
}

/**
 * Checks what building the providers would check (each base URL's shape, each credential read from
 * the environment or a file) without building anything, so the daemon can refuse a missing
 * OPENAI_API_KEY before it touches its state directory. Throws the same errors createProvider would.
 */
export function checkProviderSettings(registry: ModelProviderConfig, env: NodeJS.ProcessEnv): void {
  registry.providers.forEach((config, index) => {
    if (config.kind === "deterministic") return;
    checkUpstreamUrl(config.base_url ?? "", `model_provider.providers[${index}].base_url`);
    if (config.auth_profile_id === undefined && config.api_key_vault_ref === undefined) resolveProviderApiKey(config, env);
  });
}
