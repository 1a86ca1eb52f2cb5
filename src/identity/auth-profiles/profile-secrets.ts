import { randomBytes } from "node:crypto";
import { GatewayError } from "../../shared/errors.js";
import { type SecretStore, vaultRefName, vaultRefPrefix } from "../vault/secret-store.js";
import { referencedSecrets } from "./profile-health.js";
import type { AuthProfile } from "./profile-types.js";

export type ProfileSecretKind = "api-key" | "access-token" | "refresh-token";

/**
 * A fresh vault name for one of a profile's secrets: "auth-profile/<id>/<random>/<kind>". Every write
 * uses new names and the profile row switches to them in one update, so a write that loses a race
 * (see updateAuthProfileAtGeneration) cannot have clobbered the winner's secrets.
 */
export function newProfileSecretRef(profileId: string, kind: ProfileSecretKind): string {
  return `${vaultRefPrefix}auth-profile/${profileId}/${randomBytes(6).toString("hex")}/${kind}`;
}

/** True for references the daemon created for this profile (a key the user put in the vault is not ours to delete). */
export function isOwnedRef(ref: string, profileId: string): boolean {
  return ref.startsWith(`${vaultRefPrefix}auth-profile/${profileId}/`);
}

/** Stores a value under a "vault:NAME" reference. */
export async function putRef(secrets: SecretStore, ref: string, value: string): Promise<void> {
  await secrets.put(nameOf(ref), value);
}

/** The value behind a "vault:NAME" reference, or undefined when the vault has no such secret. */
export async function readRef(secrets: SecretStore, ref: string): Promise<string | undefined> {
  return secrets.get(nameOf(ref));
}

/** Deletes the given references that this profile owns; failures are left for the caller to ignore. */
export async function deleteOwnedRefs(secrets: SecretStore, profileId: string, refs: readonly (string | undefined)[]): Promise<void> {
  for (const ref of refs) {
    if (ref !== undefined && isOwnedRef(ref, profileId)) await secrets.delete(nameOf(ref));
  }
}

/** The profile's referenced secrets that the vault does not have. */
export async function missingSecrets(secrets: SecretStore, profile: AuthProfile): Promise<string[]> {
  const refs = referencedSecrets(profile);
  const present = await Promise.all(refs.map(async (ref) => vaultRefName(ref) !== undefined && (await readRef(secrets, ref)) !== undefined));
  return refs.filter((_, index) => !present[index]);
}

function nameOf(ref: string): string {
  const name = vaultRefName(ref);
  if (name === undefined) throw new GatewayError("internal", `"${ref}" is not a vault reference`);
  return name;
}
