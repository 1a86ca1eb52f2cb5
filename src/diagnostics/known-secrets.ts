import { readFileSync } from "node:fs";
import { redactConfig } from "../config/redact-config.js";
import type { GatewayConfig } from "../config/schema.js";

/** What the daemon knows as secret values without opening the vault (whose secrets diagnostics never read). */
export interface SecretSources {
  config: GatewayConfig;
  env: NodeJS.ProcessEnv;
  adminToken: string;
}

// Environment variables that hold a secret whatever the config says.
const secretEnvironment = ["PALYRA_ADMIN_TOKEN", "PALYRA_VAULT_KEY"];

/**
 * Every secret value the snapshot must not show: the admin token, the config's inline secrets (the
 * values redactConfig hides) and what its env and file secret references point to, read now so a
 * rotated file is covered too.
 */
export function knownSecretValues(sources: SecretSources): string[] {
  const values = new Set<string>([sources.adminToken]);
  for (const name of secretEnvironment) addValue(values, sources.env[name]);
  collectInlineSecrets(sources.config, redactConfig(sources.config), values);
  collectReferencedSecrets(sources.config, sources.env, values);
  collectUrlSecrets(sources.config, values);
  return [...values];
}

/** The strings of `original` that redactConfig replaced, walking both side by side. */
function collectInlineSecrets(original: unknown, redacted: unknown, into: Set<string>): void {
  if (typeof original === "string") {
    if (redacted !== original) addValue(into, original);
    return;
  }
  if (typeof original !== "object" || original === null || typeof redacted !== "object" || redacted === null) return;
  for (const [key, inner] of Object.entries(original)) collectInlineSecrets(inner, (redacted as Record<string, unknown>)[key], into);
}

/** The values `{ kind = "env", variable }` and `{ kind = "file", path }` references point to, wherever they appear. */
function collectReferencedSecrets(value: unknown, env: NodeJS.ProcessEnv, into: Set<string>): void {
  if (Array.isArray(value)) {
    for (const inner of value) collectReferencedSecrets(inner, env, into);
    return;
  }
  if (typeof value !== "object" || value === null) return;
  const ref = value as { kind?: unknown; variable?: unknown; path?: unknown };
  if (ref.kind === "env" && typeof ref.variable === "string") addValue(into, env[ref.variable]);
  if (ref.kind === "file" && typeof ref.path === "string") addValue(into, readQuietly(ref.path));
  for (const inner of Object.values(value)) collectReferencedSecrets(inner, env, into);
}

/** The password and query values of every URL in the config (a base_url may carry a key as ?api_key=). */
function collectUrlSecrets(value: unknown, into: Set<string>): void {
  if (typeof value === "string") {
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || !URL.canParse(value)) return;
    const url = new URL(value);
    addValue(into, decodeURIComponent(url.password));
    for (const query of url.searchParams.values()) addValue(into, query);
    return;
  }
  if (typeof value === "object" && value !== null) for (const inner of Object.values(value)) collectUrlSecrets(inner, into);
}

function readQuietly(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    // An unreadable reference has no value to leak; the integrity audit reports it.
    return undefined;
  }
}

function addValue(into: Set<string>, value: string | undefined): void {
  const trimmed = value?.trim();
  if (trimmed) into.add(trimmed);
}
