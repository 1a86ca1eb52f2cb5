import type { ProviderConfig } from "../config/schema.js";
import type { ApiKeyCheck } from "../identity/auth-profiles/profile-types.js";
import { createProvider } from "../providers/create-provider.js";
import { GatewayError, invalidRequest, toGatewayError } from "../shared/errors.js";
import { BlockedUrlError } from "../shared/netguard/upstream-url.js";
import { providerKindForProfile } from "../shared/provider-kinds.js";
import { redactSecrets } from "../shared/redact-secrets.js";

const validationTimeoutMs = 15_000;

/**
 * Lists the provider's models with the key, through a temporary provider built like a configured
 * one (same network guard, no retries). Returns the model names; a refused key is an
 * invalid_request naming the reason. The key never appears in an error, even when the upstream
 * echoes it back.
 */
export async function validateApiKey(check: ApiKeyCheck): Promise<string[]> {
  const config: ProviderConfig = {
    provider_id: check.providerKind,
    kind: providerKindForProfile(check.providerKind),
    base_url: check.baseUrl,
    allow_private_base_url: check.allowPrivate,
    enabled: true,
    api_key: check.apiKey,
    request_timeout_ms: validationTimeoutMs,
    max_retries: 0,
  };
  try {
    const provider = createProvider(config, check.registry, {});
    if (provider.listModels === undefined) throw new GatewayError("internal", "the provider cannot list models");
    const signal = check.signal ?? AbortSignal.timeout(validationTimeoutMs);
    return await provider.listModels(signal);
  } catch (error) {
    throw describeFailure(error, check);
  }
}

function describeFailure(error: unknown, check: ApiKeyCheck): GatewayError {
  if (error instanceof BlockedUrlError) return invalidRequest("base_url", error.problem);
  const failure = toGatewayError(error);
  const said = redact(failure.message, check.apiKey);
  if (failure.code === "address_blocked") {
    const reason = said.replace(/; set allow_private_base_url.*$/, "");
    return invalidRequest(
      "base_url",
      `${reason}; a key is checked against a private or loopback address only when a configured provider with allow_private_base_url = true has that base_url`,
    );
  }
  if (failure.kind === "auth" || failure.kind === "permission") {
    return new GatewayError("invalid_request", `the provider refused the API key: ${said}`, { param: "api_key", code: "api_key_rejected" });
  }
  return new GatewayError(failure.kind, `could not check the API key against ${check.baseUrl}/models: ${said}`, {
    code: failure.code ?? "api_key_check_failed",
  });
}

function redact(text: string, secret: string): string {
  return redactSecrets(text, [secret]);
}
