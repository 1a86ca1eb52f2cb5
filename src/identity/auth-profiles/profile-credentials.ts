import type { Kysely } from "kysely";
import { GatewayError } from "../../shared/errors.js";
import { acceptsProfileKind, type ProviderKind } from "../../shared/provider-kinds.js";
import { findAgentProfile, findAuthProfile } from "../../store/auth-profiles-repository.js";
import type { Database } from "../../store/tables.js";
import type { SecretStore } from "../vault/secret-store.js";
import { profileFromRow } from "./profile-rows.js";
import { readRef } from "./profile-secrets.js";
import type { AuthProfile, OAuthCredential } from "./profile-types.js";

/** What a provider bound to an auth profile needs: its credential for one request. */
export interface ProfileCredentialSource {
  /** The credential to send for `agentId`'s request to a provider bound to `profileId`. */
  credentialFor(binding: ProfileBinding, agentId: string | undefined): Promise<string>;
}

export interface ProfileBinding {
  providerId: string;
  providerKind: ProviderKind;
  profileId: string;
}

/** What credentials need of oauth/'s TokenRefresher; named here so auth-profiles/ never imports oauth/ (which imports it). */
export interface OAuthAccessTokens {
  /** The profile's current access token, refreshed first when it has expired. */
  accessToken(profile: AuthProfile & { credential: OAuthCredential }): Promise<string>;
}

/**
 * Resolves profile-bound provider credentials per request: the run's agent's own profile for the
 * bound profile's provider kind when it has one, else the bound profile. API keys come from the
 * vault; OAuth profiles give their current access token, refreshed first when it has expired.
 */
export class ProfileCredentials implements ProfileCredentialSource {
  constructor(private readonly deps: { db: Kysely<Database>; secrets: SecretStore; refresher: OAuthAccessTokens }) {}

  async credentialFor(binding: ProfileBinding, agentId: string | undefined): Promise<string> {
    const profile = await this.choose(binding, agentId);
    const { credential } = profile;
    if (credential.kind === "oauth") return this.deps.refresher.accessToken(profile as AuthProfile & { credential: OAuthCredential });
    const key = await readRef(this.deps.secrets, credential.vaultRef);
    if (key === undefined) {
      throw new GatewayError("auth", `auth profile "${profile.profileId}": the vault has no secret ${credential.vaultRef}; connect the key again`, {
        code: "credential_missing",
      });
    }
    return key;
  }

  /** The profile a request of `agentId` uses through this binding. */
  async choose(binding: ProfileBinding, agentId: string | undefined): Promise<AuthProfile> {
    const where = `provider "${binding.providerId}"`;
    const boundRow = await findAuthProfile(this.deps.db, binding.profileId);
    if (boundRow === undefined) {
      throw new GatewayError(
        "auth",
        `${where}: auth_profile_id "${binding.profileId}" names no auth profile; create it with "palyra auth connect-api-key" or "palyra auth oauth start"`,
        {
          code: "auth_profile_missing",
        },
      );
    }
    const bound = profileFromRow(boundRow);
    if (!acceptsProfileKind(binding.providerKind, bound.providerKind)) {
      throw new GatewayError("auth", `${where}: auth profile "${bound.profileId}" is for ${bound.providerKind}, not a ${binding.providerKind} provider`, {
        code: "auth_profile_mismatch",
      });
    }
    if (agentId) {
      const own = await findAgentProfile(this.deps.db, agentId, bound.providerKind);
      if (own !== undefined) return profileFromRow(own);
    }
    if (bound.agentId !== undefined && bound.agentId !== agentId) {
      throw new GatewayError("auth", `${where}: auth profile "${bound.profileId}" is for agent "${bound.agentId}" only`, { code: "auth_profile_scope" });
    }
    return bound;
  }
}
