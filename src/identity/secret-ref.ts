import { readFileSync } from "node:fs";
import type { ProviderConfig } from "../config/schema.js";

/** A provider credential that cannot be resolved, naming the setting at fault. */
export class SecretRefError extends Error {
  override readonly name = "SecretRefError";
}

/**
 * The API key a provider entry points to: inline `api_key`, or `api_key_secret_ref` from an
 * environment variable or a file. Undefined when the provider has no credential (local servers).
 */
export function resolveProviderApiKey(provider: ProviderConfig, env: NodeJS.ProcessEnv): string | undefined {
  const where = `provider "${provider.provider_id}"`;
  if (provider.api_key !== undefined) return provider.api_key;
  const ref = provider.api_key_secret_ref;
  if (ref?.kind === "env") {
    const value = env[ref.variable]?.trim();
    if (!value) throw new SecretRefError(`${where}: api_key_secret_ref names the environment variable ${ref.variable}, which is not set`);
    return value;
  }
  if (ref?.kind === "file") {
    let value: string;
    try {
      value = readFileSync(ref.path, "utf8").trim();
    } catch (error) {
      throw new SecretRefError(`${where}: api_key_secret_ref file ${ref.path} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`);
    }
    if (!value) throw new SecretRefError(`${where}: api_key_secret_ref file ${ref.path} is empty`);
    return value;
  }
  if (provider.api_key_vault_ref !== undefined || provider.auth_profile_id !== undefined) {
    const setting = provider.api_key_vault_ref !== undefined ? "api_key_vault_ref" : "auth_profile_id";
    throw new SecretRefError(`${where}: ${setting} needs the credential vault, which this build does not have yet; use api_key_secret_ref`);
  }
  return undefined;
}
