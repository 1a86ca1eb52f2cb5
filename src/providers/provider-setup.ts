import type { ModelProviderConfig, ProviderConfig } from "../config/schema.js";
import { type CredentialSources, resolveProviderCredential } from "../identity/secret-ref.js";
import { createGuardedDispatcher } from "../shared/netguard/guarded-dispatcher.js";
import { checkUpstreamUrl } from "../shared/netguard/upstream-url.js";
import type { HttpProviderOptions } from "./provider-options.js";

/** What building one provider starts from: its [[model_provider.providers]] entry, the [model_provider] defaults and where credentials come from. */
export interface ProviderSetup {
  config: ProviderConfig;
  registry: ModelProviderConfig;
  env: NodeJS.ProcessEnv;
  /** Vault references are resolved through `sources.vault`, per request. */
  sources: CredentialSources;
}

/**
 * The options of an HTTP provider: its base URL (whose shape is checked here, at start-up; its host is resolved only
 * when a connection opens), its credential, the [model_provider] defaults it does not override, and its own
 * connection pool, whose connections are checked against the address guard.
 */
export function httpProviderOptions({ config, registry, env, sources }: ProviderSetup): HttpProviderOptions {
  // Config validation guarantees a base_url for every HTTP kind.
  const baseUrl = config.base_url ?? "";
  const index = registry.providers.indexOf(config);
  checkUpstreamUrl(baseUrl, index >= 0 ? `model_provider.providers[${index}].base_url` : `base_url of provider "${config.provider_id}"`);
  const requestTimeoutMs = config.request_timeout_ms ?? registry.request_timeout_ms;
  return {
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
}
