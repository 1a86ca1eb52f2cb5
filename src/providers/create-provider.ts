import type { ModelProviderConfig, ProviderConfig } from "../config/schema.js";
import { resolveProviderApiKey } from "../identity/secret-ref.js";
import { AnthropicProvider } from "./anthropic/anthropic-provider.js";
import { DeterministicProvider } from "./deterministic/deterministic-provider.js";
import { OpenAICompatibleProvider } from "./openai/openai-provider.js";
import type { HttpProviderOptions } from "./provider-options.js";
import type { ModelProvider } from "./types.js";

/**
 * Builds the provider a [[model_provider.providers]] entry describes, with its credential resolved
 * and the [model_provider] defaults applied where the entry does not override them.
 */
export function createProvider(config: ProviderConfig, registry: ModelProviderConfig, env: NodeJS.ProcessEnv): ModelProvider {
  if (config.kind === "deterministic") {
    return new DeterministicProvider({
      providerId: config.provider_id,
      ...(config.stream_chunk_delay_ms !== undefined && { chunkDelayMs: config.stream_chunk_delay_ms }),
    });
  }
  const options: HttpProviderOptions = {
    providerId: config.provider_id,
    // Config validation guarantees a base_url for every HTTP kind.
    baseUrl: config.base_url ?? "",
    apiKey: resolveProviderApiKey(config, env),
    requestTimeoutMs: config.request_timeout_ms ?? registry.request_timeout_ms,
  };
  return config.kind === "anthropic" ? new AnthropicProvider(options) : new OpenAICompatibleProvider(options);
}
