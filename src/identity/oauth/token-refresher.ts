import type { Kysely } from "kysely";
import type { AuthConfig } from "../../config/schema.js";
import { GatewayError, invalidRequest, toGatewayError } from "../../shared/errors.js";
import type { Logger } from "../../shared/logger.js";
import { findAuthProfile, listRefreshDueProfiles, updateAuthProfileAtGeneration } from "../../store/auth-profiles-repository.js";
import type { Database } from "../../store/tables.js";
import { profileFromRow } from "../auth-profiles/profile-rows.js";
import { deleteOwnedRefs, newProfileSecretRef, putRef, readRef } from "../auth-profiles/profile-secrets.js";
import type { AuthProfile, OAuthCredential } from "../auth-profiles/profile-types.js";
import type { SecretStore } from "../vault/secret-store.js";
import { type OAuthClientSettings, oauthClientSettings } from "./oauth-settings.js";
import type { RefreshBackoff } from "./refresh-backoff.js";
import type { TokenClient, TokenSet } from "./token-client.js";

/** Access tokens expiring within this window are refreshed by the background loop. */
export const refreshWindowMs = 5 * 60_000;
/** A token this close to expiry is refreshed before it is sent, so it does not expire in flight. */
const expirySkewMs = 30_000;

export interface TokenRefresherDeps {
  db: Kysely<Database>;
  secrets: SecretStore;
  tokens: TokenClient;
  auth: AuthConfig;
  env: NodeJS.ProcessEnv;
  backoff: RefreshBackoff;
  logger?: Logger;
  now?: () => number;
}

type OAuthProfile = AuthProfile & { credential: OAuthCredential };

/**
 * Refreshes OAuth profiles: one refresh per profile at a time (callers arriving meanwhile share it,
 * so a rotating refresh token is never spent twice), rotated refresh tokens saved, and every write
 * made only if the profile is still at the generation the refresh started from, so a late failure
 * never overwrites a newer success. Failures back off per OAuth provider and per profile.
 */
export class TokenRefresher {
  private readonly inFlight = new Map<string, Promise<AuthProfile>>();
  private readonly now: () => number;

  constructor(private readonly deps: TokenRefresherDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Refreshes the profile now, or joins the refresh already under way. */
  refresh(profileId: string): Promise<AuthProfile> {
    let pending = this.inFlight.get(profileId);
    if (pending === undefined) {
      pending = this.refreshOnce(profileId).finally(() => this.inFlight.delete(profileId));
      this.inFlight.set(profileId, pending);
    }
    return pending;
  }

  /** Refreshes every profile due within the window that is not backing off; failures are logged, not thrown. */
  async refreshDue(signal?: AbortSignal): Promise<{ refreshed: number; failed: number; skipped: number }> {
    const counts = { refreshed: 0, failed: 0, skipped: 0 };
    const due = await listRefreshDueProfiles(this.deps.db, this.now() + refreshWindowMs);
    for (const row of due) {
      if (signal?.aborted) break;
      const profile = profileFromRow(row);
      if (this.waitingUntil(profile) !== undefined) {
        counts.skipped += 1;
        continue;
      }
      try {
        await this.refresh(profile.profileId);
        counts.refreshed += 1;
      } catch (error) {
        counts.failed += 1;
        this.deps.logger?.warn({ profileId: profile.profileId, reason: toGatewayError(error).message }, "OAuth token refresh failed");
      }
    }
    return counts;
  }

  /** The access token to send now; refreshed first when it has expired or is about to. */
  async accessToken(profile: OAuthProfile): Promise<string> {
    let current: AuthProfile = profile;
    const { expiresAt, refreshTokenRef, lastRefreshError } = profile.credential;
    if (expiresAt !== undefined && expiresAt - expirySkewMs <= this.now()) {
      const where = `auth profile "${profile.profileId}"`;
      if (refreshTokenRef === undefined)
        throw new GatewayError("auth", `${where}: the access token expired and there is no refresh token; log in again`, { code: "oauth_expired" });
      const until = this.waitingUntil(profile);
      if (until !== undefined) {
        throw new GatewayError(
          "auth",
          `${where}: the access token expired and refreshing fails (${lastRefreshError ?? "unknown error"}); next attempt at ${new Date(until).toISOString()}`,
          {
            code: "oauth_refresh_failed",
          },
        );
      }
      current = await this.refresh(profile.profileId);
    }
    const token = current.credential.kind === "oauth" ? await readRef(this.deps.secrets, current.credential.accessTokenRef) : undefined;
    if (token === undefined)
      throw new GatewayError("auth", `auth profile "${profile.profileId}": the access token is missing from the vault; log in again`, {
        code: "credential_missing",
      });
    return token;
  }

  /** When the profile may be refreshed again, if it or its OAuth provider is backing off. */
  waitingUntil(profile: AuthProfile): number | undefined {
    const waits = backoffKeys(profile).map((key) => this.deps.backoff.waitingUntil(key) ?? 0);
    const until = Math.max(0, ...waits);
    return until > 0 ? until : undefined;
  }

  private async refreshOnce(profileId: string): Promise<AuthProfile> {
    const row = await findAuthProfile(this.deps.db, profileId);
    if (row === undefined) throw new GatewayError("not_found", `no auth profile "${profileId}"`, { param: "profile_id", code: "profile_not_found" });
    const profile = profileFromRow(row);
    if (profile.credential.kind !== "oauth") throw invalidRequest("profile_id", `auth profile "${profileId}" holds an API key, which does not refresh`);
    const oauthProfile = profile as OAuthProfile;
    try {
      const refreshRef = oauthProfile.credential.refreshTokenRef;
      if (refreshRef === undefined) throw new GatewayError("permanent", "there is no refresh token; log in again", { code: "oauth_no_refresh_token" });
      const refreshToken = await readRef(this.deps.secrets, refreshRef);
      if (refreshToken === undefined)
        throw new GatewayError("permanent", "the refresh token is missing from the vault; log in again", { code: "credential_missing" });
      const tokens = await this.deps.tokens.refresh(this.clientFor(oauthProfile), refreshToken);
      return await this.saveRefreshed(oauthProfile, tokens);
    } catch (error) {
      await this.recordFailure(oauthProfile, error);
      throw error;
    }
  }

  /** The login's token endpoint and client, with the secret (and auth method) from the current config. */
  private clientFor(profile: OAuthProfile): OAuthClientSettings {
    const { oauthProvider, tokenEndpoint, clientId } = profile.credential;
    const config = this.deps.auth.oauth[oauthProvider];
    const base: OAuthClientSettings = config
      ? oauthClientSettings(oauthProvider, config, this.deps.env)
      : { name: oauthProvider, issuer: new URL(tokenEndpoint).origin, tokenEndpoint, clientId, clientSecret: undefined, authMethod: "none" };
    return { ...base, tokenEndpoint, clientId };
  }

  private async saveRefreshed(profile: OAuthProfile, tokens: TokenSet): Promise<AuthProfile> {
    const { profileId, credential } = profile;
    const accessRef = newProfileSecretRef(profileId, "access-token");
    await putRef(this.deps.secrets, accessRef, tokens.accessToken);
    const refreshRef = tokens.refreshToken === undefined ? credential.refreshTokenRef : newProfileSecretRef(profileId, "refresh-token");
    if (tokens.refreshToken !== undefined && refreshRef !== undefined) await putRef(this.deps.secrets, refreshRef, tokens.refreshToken);
    const now = this.now();
    const written = await updateAuthProfileAtGeneration(
      this.deps.db,
      profileId,
      profile.generation,
      {
        access_token_ref: accessRef,
        refresh_token_ref: refreshRef ?? null,
        expires_at: tokens.expiresInMs === undefined ? null : now + tokens.expiresInMs,
        last_refreshed_at: now,
        refresh_failures: 0,
        last_refresh_error: null,
        updated_at: now,
      },
      true,
    );
    // Whichever secrets lost are unreferenced now: the old ones, or ours when the profile moved on meanwhile.
    const rotated = refreshRef !== credential.refreshTokenRef;
    const dropped = written ? [credential.accessTokenRef, rotated ? credential.refreshTokenRef : undefined] : [accessRef, rotated ? refreshRef : undefined];
    await deleteOwnedRefs(this.deps.secrets, profileId, dropped).catch(() => undefined);
    if (written) for (const key of backoffKeys(profile)) this.deps.backoff.succeeded(key);
    else this.deps.logger?.info({ profileId }, "OAuth refresh result dropped: the profile changed meanwhile");
    const current = await findAuthProfile(this.deps.db, profileId);
    if (current === undefined) throw new GatewayError("not_found", `auth profile "${profileId}" was removed during the refresh`, { code: "profile_not_found" });
    return profileFromRow(current);
  }

  /** Counts the failure, unless the profile moved on since the refresh started (a newer success stands). */
  private async recordFailure(profile: OAuthProfile, error: unknown): Promise<void> {
    const failure = toGatewayError(error);
    // The profile always waits; the whole provider only when its token endpoint itself is failing.
    const [providerKey, profileKey] = backoffKeys(profile);
    if (endpointFailureKinds.has(failure.kind) && providerKey !== undefined) this.deps.backoff.failed(providerKey);
    if (profileKey !== undefined) this.deps.backoff.failed(profileKey);
    const now = this.now();
    await updateAuthProfileAtGeneration(
      this.deps.db,
      profile.profileId,
      profile.generation,
      { refresh_failures: profile.credential.refreshFailures + 1, last_refresh_error: failure.message, updated_at: now },
      false,
    ).catch(() => false);
  }
}

/** Failures that say the token endpoint is in trouble, rather than this profile's grant. */
const endpointFailureKinds = new Set(["transient", "network", "timeout", "unavailable", "rate_limit"]);

/** [the OAuth provider's key, the profile's key]. */
function backoffKeys(profile: AuthProfile): string[] {
  const provider = profile.credential.kind === "oauth" ? profile.credential.oauthProvider : "";
  return [`provider:${provider}`, `profile:${profile.profileId}`];
}
