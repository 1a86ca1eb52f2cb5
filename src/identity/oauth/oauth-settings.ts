import { readFileSync } from "node:fs";
import type { OAuthProviderConfig } from "../../config/schema.js";
import { GatewayError } from "../../shared/errors.js";

/** How the daemon talks to one authorization server's token endpoint. */
export interface OAuthClientSettings {
  /** The [auth.oauth.<name>] it came from. */
  name: string;
  issuer: string;
  tokenEndpoint: string;
  clientId: string;
  clientSecret: string | undefined;
  authMethod: "client_secret_basic" | "client_secret_post" | "none";
}

/** The settings of [auth.oauth.<name>], with its client secret read (from the environment or a file). */
export function oauthClientSettings(name: string, config: OAuthProviderConfig, env: NodeJS.ProcessEnv): OAuthClientSettings {
  const clientSecret = config.client_secret_ref === undefined ? undefined : readClientSecret(name, config.client_secret_ref, env);
  return {
    name,
    issuer: config.issuer ?? new URL(config.token_endpoint).origin,
    tokenEndpoint: config.token_endpoint,
    clientId: config.client_id,
    clientSecret,
    authMethod: config.token_endpoint_auth_method ?? (clientSecret === undefined ? "none" : "client_secret_basic"),
  };
}

/** Looks [auth.oauth.<name>] up, or says it is not configured. */
export function requireOAuthProvider(oauth: Record<string, OAuthProviderConfig>, name: string, param = "oauth_provider"): OAuthProviderConfig {
  const config = oauth[name];
  if (config === undefined) {
    const known = Object.keys(oauth);
    throw new GatewayError("invalid_request", `no [auth.oauth.${name}] in the config${known.length > 0 ? ` (configured: ${known.join(", ")})` : ""}`, {
      param,
      code: "oauth_provider_unknown",
    });
  }
  return config;
}

function readClientSecret(name: string, ref: NonNullable<OAuthProviderConfig["client_secret_ref"]>, env: NodeJS.ProcessEnv): string {
  const where = `auth.oauth.${name}.client_secret_ref`;
  let value: string | undefined;
  if (ref.kind === "env") {
    value = env[ref.variable]?.trim();
    if (!value) throw new GatewayError("permanent", `${where}: the environment variable ${ref.variable} is not set`, { code: "oauth_client_secret_missing" });
    return value;
  }
  try {
    value = readFileSync(ref.path, "utf8").trim();
  } catch (error) {
    throw new GatewayError("permanent", `${where}: the file ${ref.path} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`, {
      code: "oauth_client_secret_missing",
    });
  }
  if (!value) throw new GatewayError("permanent", `${where}: the file ${ref.path} is empty`, { code: "oauth_client_secret_missing" });
  return value;
}
