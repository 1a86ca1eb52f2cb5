import type { GatewayConfig } from "./schema.js";

export const redacted = "<redacted>";

/** Keys whose values are secrets wherever they appear. References to secrets (vault:NAME, env, file) are not. */
const secretKeys = new Set(["api_key", "client_secret", "password", "token", "access_token", "refresh_token", "secret"]);

/** The config with every secret value replaced, safe to print, log or return over the API. */
export function redactConfig(config: GatewayConfig): unknown {
  return redactValue(config);
}

function redactValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactValue);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [key, secretKeys.has(key) && typeof inner === "string" ? redacted : redactValue(inner)]),
  );
}
