import { readFileSync } from "node:fs";
import type { ProviderConfig } from "../config/schema.js";
import { GatewayError } from "../shared/errors.js";
import type { ProfileCredentialSource } from "./auth-profiles/profile-credentials.js";
import { isSecretName, secretNameRule } from "./vault/secret-name.js";
import { type SecretStore, vaultRefName } from "./vault/secret-store.js";

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
  if (provider.api_key_vault_ref !== undefined) {
    throw new SecretRefError(`${where}: api_key_vault_ref is read from the vault per request (resolveProviderCredential), not up front`);
  }
  if (provider.auth_profile_id !== undefined) {
    throw new SecretRefError(`${where}: auth_profile_id is resolved per request (resolveProviderCredential), not up front`);
  }
  return undefined;
}

/** What resolving a provider's credential may need besides the environment. */
export interface CredentialSources {
  /** For api_key_vault_ref. */
  vault?: SecretStore;
  /** For auth_profile_id. */
  profiles?: ProfileCredentialSource;
}

/** A provider's credential: a fixed key (undefined for keyless servers), or a lookup made per request. */
export interface ProviderCredential {
  apiKey: string | undefined;
  credential?: (agentId: string | undefined) => Promise<string | undefined>;
}

/**
 * How a provider entry authenticates. `api_key_vault_ref` is read from the vault on every request,
 * so a secret put or replaced while the daemon runs takes effect at once; the others resolve now.
 */
export function resolveProviderCredential(provider: ProviderConfig, env: NodeJS.ProcessEnv, sources: CredentialSources = {}): ProviderCredential {
  if (provider.auth_profile_id !== undefined) return { apiKey: undefined, credential: profileCredential(provider, provider.auth_profile_id, sources.profiles) };
  const ref = provider.api_key_vault_ref;
  if (ref === undefined) return { apiKey: resolveProviderApiKey(provider, env) };
  return { apiKey: undefined, credential: vaultCredential(provider.provider_id, ref, sources.vault) };
}

function vaultCredential(providerId: string, ref: string, vault: SecretStore | undefined): () => Promise<string> {
  const where = `provider "${providerId}"`;
  const name = vaultRefName(ref);
  if (name === undefined || !isSecretName(name)) {
    throw new SecretRefError(`${where}: api_key_vault_ref "${ref}" must be "vault:NAME", NAME being ${secretNameRule}`);
  }
  if (vault === undefined) throw new SecretRefError(`${where}: api_key_vault_ref needs the vault, which this daemon was not given`);
  return async () => {
    const value = await vault.get(name);
    if (value === undefined) {
      throw new GatewayError("auth", `${where}: api_key_vault_ref "${ref}" names a secret the vault does not hold; add it with "palyra vault put ${name}"`, {
        code: "credential_missing",
      });
    }
    return value;
  };
}

/** The bound auth profile's credential, per request: the run's agent's own profile for that provider kind comes first. */
function profileCredential(provider: ProviderConfig, profileId: string, profiles: ProfileCredentialSource | undefined) {
  if (profiles === undefined)
    throw new SecretRefError(`provider "${provider.provider_id}": auth_profile_id needs auth profiles, which this daemon was not given`);
  const binding = { providerId: provider.provider_id, providerKind: provider.kind, profileId };
  return (agentId: string | undefined) => profiles.credentialFor(binding, agentId);
}
