import type { ModelProviderConfig, ProviderConfig } from "../config/schema.js";
import { type CredentialSources, resolveProviderApiKey } from "../identity/secret-ref.js";
import type { ModelProvider } from "../shared/model-types.js";
import { checkUpstreamUrl } from "../shared/netguard/upstream-url.js";
import { callsHttpUpstream } from "../shared/provider-kinds.js";
import { providerKindEntries } from "./index.js";

/**
 * Builds the provider a [[model_provider.providers]] entry describes, through its kind's entry in providers/index.ts,
 * with its credential resolved and the [model_provider] defaults applied where the entry does not override them.
 */
export function createProvider(config: ProviderConfig, registry: ModelProviderConfig, env: NodeJS.ProcessEnv, sources: CredentialSources = {}): ModelProvider {
  return providerKindEntries[config.kind].create({ config, registry, env, sources });
}

/**
 * Checks what building the providers would check (each base URL's shape, each credential read from
 * the environment or a file) without building anything, so the daemon can refuse a missing
 * OPENAI_API_KEY before it touches its state directory. Throws the same errors createProvider would.
 */
export function checkProviderSettings(registry: ModelProviderConfig, env: NodeJS.ProcessEnv): void {
  registry.providers.forEach((config, index) => {
    if (!callsHttpUpstream(config.kind)) return;
    checkUpstreamUrl(config.base_url ?? "", `model_provider.providers[${index}].base_url`);
    if (config.auth_profile_id === undefined && config.api_key_vault_ref === undefined) resolveProviderApiKey(config, env);
  });
}
