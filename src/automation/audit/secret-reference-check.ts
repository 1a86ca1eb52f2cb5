import { referencedSecrets } from "../../identity/auth-profiles/profile-health.js";
import { profileFromRow } from "../../identity/auth-profiles/profile-rows.js";
import { vaultRefName } from "../../identity/vault/secret-store.js";
import { listAuthProfiles } from "../../store/auth-profiles-repository.js";
import type { AuditDeps, AuditFinding, CheckResult } from "./audit-types.js";

/** One thing that points at a secret (or at a profile holding secrets), and what it points at. */
interface Reference {
  /** "provider/openai", "auth_profile/p1". */
  referrer: string;
  /** "vault:NAME", or "auth_profile:ID" for a provider's auth_profile_id. */
  target: string;
  /** True when the target exists. */
  exists: boolean;
}

/**
 * Every secret a provider or an auth profile references must exist: providers' api_key_vault_ref,
 * auth profiles' API key and token references, and the profile a provider's auth_profile_id names.
 * Only names are compared; no secret is decrypted here (the vault check does that).
 */
export async function checkSecretReferences(deps: Pick<AuditDeps, "db" | "vault" | "providers">): Promise<CheckResult> {
  const names = new Set((await deps.vault.list()).map((secret) => secret.name));
  const profiles = (await listAuthProfiles(deps.db)).map(profileFromRow);
  const profileIds = new Set(profiles.map((profile) => profile.profileId));
  const references: Reference[] = [];
  const vaultReference = (referrer: string, ref: string): Reference => {
    const name = vaultRefName(ref);
    return { referrer, target: ref, exists: name !== undefined && names.has(name) };
  };
  for (const provider of deps.providers()) {
    const referrer = `provider/${provider.provider_id}`;
    if (provider.api_key_vault_ref !== undefined) references.push(vaultReference(referrer, provider.api_key_vault_ref));
    if (provider.auth_profile_id !== undefined) {
      references.push({ referrer, target: `auth_profile:${provider.auth_profile_id}`, exists: profileIds.has(provider.auth_profile_id) });
    }
  }
  for (const profile of profiles) {
    for (const ref of referencedSecrets(profile)) references.push(vaultReference(`auth_profile/${profile.profileId}`, ref));
  }
  const findings = references.filter((reference) => !reference.exists).map(findingOf);
  return { findings, checked: references.length };
}

function findingOf(reference: Reference): AuditFinding {
  const what = reference.target.startsWith("auth_profile:") ? "an auth profile that does not exist" : "a vault secret that does not exist";
  return {
    check: "secret_reference",
    severity: "warning",
    objectKind: "secret_reference",
    objectId: `${reference.referrer} -> ${reference.target}`,
    message: `${reference.referrer.replace("/", " ")} references ${reference.target}, ${what}`,
    remediation: undefined,
  };
}
