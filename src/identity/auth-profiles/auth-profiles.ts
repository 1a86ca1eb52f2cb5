import type { Kysely } from "kysely";
import type { ModelProviderConfig } from "../../config/schema.js";
import { GatewayError, invalidRequest } from "../../shared/errors.js";
import {
  deleteAuthProfile,
  findAgentProfile,
  findAuthProfile,
  listAuthProfiles,
  updateAuthProfileDetails,
  upsertAuthProfile,
} from "../../store/auth-profiles-repository.js";
import type { Database } from "../../store/tables.js";
import { type SecretStore, vaultRefName } from "../vault/secret-store.js";
import { classifyProfileHealth, referencedSecrets } from "./profile-health.js";
import { profileFromRow, profileToRow } from "./profile-rows.js";
import { deleteOwnedRefs, missingSecrets, newProfileSecretRef, putRef, readRef } from "./profile-secrets.js";
import {
  type ApiKeyValidator,
  type AuthProfile,
  defaultBaseUrls,
  type ProfileCredential,
  type ProfileHealth,
  type ProfileProviderKind,
  profileIdPattern,
} from "./profile-types.js";

export interface ProfileView {
  profile: AuthProfile;
  health: ProfileHealth;
}

/** What SetProfile may say about a profile; absent fields keep the stored values. */
export interface ProfileInput {
  profileId: string;
  providerKind?: ProfileProviderKind | undefined;
  name?: string | undefined;
  /** "" makes the profile global; undefined keeps the stored scope. */
  agentId?: string | undefined;
  /** An API key to store in the vault (write-only). */
  apiKey?: string | undefined;
  /** An existing "vault:NAME" holding the key. */
  apiKeyRef?: string | undefined;
}

export interface ConnectApiKeyInput {
  profileId: string;
  providerKind: ProfileProviderKind;
  apiKey: string;
  baseUrl?: string | undefined;
  agentId?: string | undefined;
  name?: string | undefined;
}

export interface AuthProfilesDeps {
  db: Kysely<Database>;
  secrets: SecretStore;
  /** Timeouts for key checks, and which base URLs may be private (see connectApiKey). */
  modelProvider: ModelProviderConfig;
  now?: () => number;
  /** Checks a key with its provider before it is stored (registry/validate-api-key.ts in the daemon). */
  validateKey: ApiKeyValidator;
}

/** Auth profiles: credentials for upstream providers, global or for one agent, kept in the vault. */
export class AuthProfiles {
  private readonly now: () => number;

  constructor(private readonly deps: AuthProfilesDeps) {
    this.now = deps.now ?? Date.now;
  }

  async list(filter: { agentId?: string | undefined; includeGlobal?: boolean } = {}): Promise<ProfileView[]> {
    const rows = await listAuthProfiles(this.deps.db, filter);
    return Promise.all(rows.map((row) => this.view(profileFromRow(row))));
  }

  async get(profileId: string): Promise<ProfileView> {
    return this.view(await this.require(profileId));
  }

  /** The stored profile, or not_found. */
  async require(profileId: string): Promise<AuthProfile> {
    const row = await findAuthProfile(this.deps.db, profileId);
    if (row === undefined) throw new GatewayError("not_found", `no auth profile "${profileId}"`, { param: "profile_id", code: "profile_not_found" });
    return profileFromRow(row);
  }

  /**
   * Creates or replaces a profile. A new profile needs a credential; OAuth credentials only come from
   * a login. `validatedBaseUrl` is recorded when the key was just checked there (connectApiKey); a
   * new key set without a check clears it.
   */
  async set(input: ProfileInput, validatedBaseUrl?: string): Promise<ProfileView> {
    checkProfileId(input.profileId);
    const existing = await findAuthProfile(this.deps.db, input.profileId).then((row) => row && profileFromRow(row));
    const providerKind = input.providerKind ?? existing?.providerKind;
    if (providerKind === undefined) throw invalidRequest("profile.provider_kind", "required for a new profile");
    const agentId = input.agentId === undefined ? existing?.agentId : input.agentId || undefined;
    await this.checkAgentSlot(agentId, providerKind, input.profileId);

    let credential: ProfileCredential | undefined = existing?.credential;
    if (input.apiKey !== undefined && input.apiKey !== "") {
      const ref = newProfileSecretRef(input.profileId, "api-key");
      await putRef(this.deps.secrets, ref, input.apiKey);
      credential = { kind: "api_key", vaultRef: ref };
    } else if (input.apiKeyRef !== undefined) {
      if (vaultRefName(input.apiKeyRef) === undefined) throw invalidRequest("profile.api_key.vault_ref", 'must look like "vault:NAME"');
      if ((await readRef(this.deps.secrets, input.apiKeyRef)) === undefined)
        throw invalidRequest("profile.api_key.vault_ref", `the vault has no secret ${input.apiKeyRef}`);
      credential = { kind: "api_key", vaultRef: input.apiKeyRef };
    }
    if (credential === undefined) throw invalidRequest("api_key", "a new profile needs an API key (OAuth profiles come from StartOAuth and CompleteOAuth)");
    if (existing !== undefined && credential.kind === "oauth" && providerKind !== existing.providerKind) {
      throw invalidRequest("profile.provider_kind", "an OAuth profile's provider kind is fixed by its login");
    }

    const now = this.now();
    const name = input.name || existing?.name || input.profileId;
    if (existing !== undefined && credential === existing.credential && validatedBaseUrl === undefined) {
      // Only the details change: an OAuth refresh under way must still be able to save its rotated tokens.
      await updateAuthProfileDetails(this.deps.db, input.profileId, { name, agent_id: agentId ?? null, provider_kind: providerKind, updated_at: now });
      return this.get(input.profileId);
    }
    await upsertAuthProfile(
      this.deps.db,
      profileToRow({
        profileId: input.profileId,
        providerKind,
        name,
        agentId,
        credential,
        baseUrl: validatedBaseUrl ?? (credential === existing?.credential ? existing.baseUrl : undefined),
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
      }),
    );
    if (existing !== undefined) await this.forgetSecrets(existing, credential);
    return this.get(input.profileId);
  }

  /**
   * Checks the key against the provider's model listing, then saves it as an API key profile.
   * Without a base URL, the URL of a configured provider bound to this profile is used, else the
   * kind's public endpoint. The network guard allows a loopback or private base URL only when a
   * configured provider with `allow_private_base_url = true` has that same base URL: connecting a
   * key must not become a way to probe the daemon's network.
   */
  async connectApiKey(input: ConnectApiKeyInput, signal?: AbortSignal): Promise<{ view: ProfileView; modelCount: number }> {
    checkProfileId(input.profileId);
    if (input.apiKey.trim() === "") throw invalidRequest("api_key", "is required");
    const providers = this.deps.modelProvider.providers;
    const baseUrl = trimSlash(
      input.baseUrl || providers.find((provider) => provider.auth_profile_id === input.profileId)?.base_url || defaultBaseUrls[input.providerKind] || "",
    );
    if (baseUrl === "") throw invalidRequest("base_url", `required for provider kind "${input.providerKind}"`);
    // Stored with the profile and quoted in errors.
    if (baseUrl.length > 2048) throw invalidRequest("base_url", "must be at most 2048 characters");
    const allowPrivate = providers.some((provider) => provider.allow_private_base_url && trimSlash(provider.base_url ?? "") === baseUrl);
    await this.checkAgentSlot(input.agentId || undefined, input.providerKind, input.profileId);

    const models = await this.deps.validateKey({
      providerKind: input.providerKind,
      apiKey: input.apiKey.trim(),
      baseUrl,
      allowPrivate,
      registry: this.deps.modelProvider,
      ...(signal !== undefined && { signal }),
    });
    const view = await this.set({ ...input, apiKey: input.apiKey.trim(), agentId: input.agentId ?? "" }, baseUrl);
    return { view, modelCount: models.length };
  }

  async delete(profileId: string): Promise<boolean> {
    const row = await findAuthProfile(this.deps.db, profileId);
    if (row === undefined) return false;
    const deleted = await deleteAuthProfile(this.deps.db, profileId);
    if (deleted) await this.forgetSecrets(profileFromRow(row));
    return deleted;
  }

  /** The profile with its health, looked up in the vault now. */
  async view(profile: AuthProfile): Promise<ProfileView> {
    const missing = await missingSecrets(this.deps.secrets, profile);
    return { profile, health: classifyProfileHealth(profile, missing, this.now()) };
  }

  /** An agent has at most one profile per provider kind, so which one replaces the global one is never a guess. */
  async checkAgentSlot(agentId: string | undefined, providerKind: ProfileProviderKind, profileId: string): Promise<void> {
    if (agentId === undefined) return;
    const taken = await findAgentProfile(this.deps.db, agentId, providerKind);
    if (taken !== undefined && taken.profile_id !== profileId) {
      throw new GatewayError("invalid_request", `agent "${agentId}" already has the ${providerKind} profile "${taken.profile_id}"; remove it first`, {
        param: "agent_id",
        code: "agent_profile_exists",
      });
    }
  }

  /** Deletes the secrets the profile owned that `replacement` no longer uses. Best effort: a secret left behind is unreferenced, not exposed. */
  private async forgetSecrets(profile: AuthProfile, replacement?: ProfileCredential): Promise<void> {
    const kept = new Set(replacement === undefined ? [] : referencedSecrets({ credential: replacement }));
    const refs = referencedSecrets(profile).filter((ref) => !kept.has(ref));
    await deleteOwnedRefs(this.deps.secrets, profile.profileId, refs).catch(() => undefined);
  }
}

function checkProfileId(profileId: string): void {
  if (!profileIdPattern.test(profileId)) {
    throw invalidRequest("profile_id", "must be 1-64 letters, digits, dots, dashes or underscores, starting with a letter or digit");
  }
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}
