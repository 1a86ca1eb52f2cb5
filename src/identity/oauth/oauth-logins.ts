import type { Kysely } from "kysely";
import type { AuthConfig } from "../../config/schema.js";
import { GatewayError, invalidRequest } from "../../shared/errors.js";
import { findAuthProfile, insertOAuthAttempt, takeExpiredOAuthAttempts, takeOAuthAttempt, upsertAuthProfile } from "../../store/auth-profiles-repository.js";
import type { Database, OAuthAttemptRow } from "../../store/tables.js";
import type { AuthProfiles, ProfileView } from "../auth-profiles/auth-profiles.js";
import { referencedSecrets } from "../auth-profiles/profile-health.js";
import { profileFromRow, profileToRow } from "../auth-profiles/profile-rows.js";
import { deleteOwnedRefs, newProfileSecretRef, putRef, readRef } from "../auth-profiles/profile-secrets.js";
import { isProfileProviderKind, type OAuthCredential, profileIdPattern, profileProviderKindProblem } from "../auth-profiles/profile-types.js";
import { type SecretStore, vaultRefName } from "../vault/secret-store.js";
import { oauthClientSettings, requireOAuthProvider } from "./oauth-settings.js";
import { createPkcePair, createState, hashState } from "./pkce.js";
import type { TokenClient } from "./token-client.js";

/** How long a started login may take before its state stops working. */
export const oauthAttemptTtlMs = 10 * 60_000;

export interface StartOAuthInput {
  oauthProvider: string;
  profileId: string;
  agentId?: string | undefined;
  providerKind?: string | undefined;
}

export interface StartedOAuth {
  authorizeUrl: string;
  state: string;
  expiresAt: number;
}

export interface OAuthLoginsDeps {
  db: Kysely<Database>;
  secrets: SecretStore;
  profiles: AuthProfiles;
  auth: AuthConfig;
  tokens: TokenClient;
  env: NodeJS.ProcessEnv;
  /** The daemon's own callback URL, for providers without a redirect_uri; undefined until the HTTP server listens. */
  defaultRedirectUri: () => string | undefined;
  now?: () => number;
}

/**
 * OAuth logins with the authorization-code grant and PKCE (S256). Starting one stores an attempt
 * found by the SHA-256 of its state, with the code verifier in the vault; completing takes the
 * attempt (once, within 10 minutes), exchanges the code and saves the tokens as a profile.
 */
export class OAuthLogins {
  private readonly now: () => number;

  constructor(private readonly deps: OAuthLoginsDeps) {
    this.now = deps.now ?? Date.now;
  }

  async start(input: StartOAuthInput): Promise<StartedOAuth> {
    const config = requireOAuthProvider(this.deps.auth.oauth, input.oauthProvider);
    if (!profileIdPattern.test(input.profileId)) throw invalidRequest("profile_id", "must be 1-64 letters, digits, dots, dashes or underscores");
    const providerKind = input.providerKind || "openai_compatible";
    if (!isProfileProviderKind(providerKind)) throw invalidRequest("provider_kind", profileProviderKindProblem);
    await this.deps.profiles.checkAgentSlot(input.agentId || undefined, providerKind, input.profileId);
    const redirectUri = config.redirect_uri ?? this.deps.defaultRedirectUri();
    if (redirectUri === undefined)
      throw new GatewayError("unavailable", "the daemon's callback URL is not known yet; set redirect_uri", { code: "oauth_no_redirect" });

    await this.sweepExpired();
    const pkce = await createPkcePair();
    const state = createState();
    const stateHash = hashState(state);
    const now = this.now();
    const verifierRef = `vault:oauth-attempt/${stateHash.slice(0, 32)}/verifier`;
    await putRef(this.deps.secrets, verifierRef, pkce.verifier);
    await insertOAuthAttempt(this.deps.db, {
      state_hash: stateHash,
      oauth_provider: input.oauthProvider,
      profile_id: input.profileId,
      provider_kind: providerKind,
      agent_id: input.agentId || null,
      redirect_uri: redirectUri,
      verifier_ref: verifierRef,
      created_at: now,
      expires_at: now + oauthAttemptTtlMs,
    });

    const url = new URL(config.authorization_endpoint);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("client_id", config.client_id);
    url.searchParams.set("redirect_uri", redirectUri);
    if (config.scopes.length > 0) url.searchParams.set("scope", config.scopes.join(" "));
    url.searchParams.set("state", state);
    url.searchParams.set("code_challenge", pkce.challenge);
    url.searchParams.set("code_challenge_method", pkce.method);
    return { authorizeUrl: url.href, state, expiresAt: now + oauthAttemptTtlMs };
  }

  /** Exchanges the code for tokens and saves them as the attempt's profile. A state works once. */
  async complete(state: string, code: string): Promise<ProfileView> {
    if (state === "") throw invalidRequest("state", "is required");
    if (code === "") throw invalidRequest("code", "is required");
    const attempt = await takeOAuthAttempt(this.deps.db, hashState(state));
    if (attempt === undefined) {
      throw new GatewayError("invalid_request", "unknown or already used OAuth state; start the login again", { param: "state", code: "oauth_state_invalid" });
    }
    try {
      if (attempt.expires_at <= this.now()) {
        throw new GatewayError("invalid_request", "the OAuth login expired (10 minutes); start it again", { param: "state", code: "oauth_state_expired" });
      }
      const verifier = await readRef(this.deps.secrets, attempt.verifier_ref);
      if (verifier === undefined) throw new GatewayError("internal", "the login's PKCE verifier is gone from the vault; start the login again");
      const config = requireOAuthProvider(this.deps.auth.oauth, attempt.oauth_provider);
      const client = oauthClientSettings(attempt.oauth_provider, config, this.deps.env);
      const tokens = await this.deps.tokens.exchangeCode(client, { code, state, redirectUri: attempt.redirect_uri, codeVerifier: verifier });
      const now = this.now();
      const credential: OAuthCredential = {
        kind: "oauth",
        oauthProvider: attempt.oauth_provider,
        accessTokenRef: newProfileSecretRef(attempt.profile_id, "access-token"),
        refreshTokenRef: tokens.refreshToken === undefined ? undefined : newProfileSecretRef(attempt.profile_id, "refresh-token"),
        tokenEndpoint: client.tokenEndpoint,
        clientId: client.clientId,
        scopes: tokens.scope?.split(" ").filter(Boolean) ?? config.scopes,
        expiresAt: tokens.expiresInMs === undefined ? undefined : now + tokens.expiresInMs,
        lastRefreshedAt: now,
        refreshFailures: 0,
        lastRefreshError: undefined,
      };
      await putRef(this.deps.secrets, credential.accessTokenRef, tokens.accessToken);
      if (credential.refreshTokenRef !== undefined && tokens.refreshToken !== undefined)
        await putRef(this.deps.secrets, credential.refreshTokenRef, tokens.refreshToken);
      return await this.saveLogin(attempt, credential);
    } finally {
      await this.forgetVerifier(attempt);
    }
  }

  /** Drops logins nobody completed, and their verifiers. */
  async sweepExpired(): Promise<number> {
    const expired = await takeExpiredOAuthAttempts(this.deps.db, this.now());
    for (const attempt of expired) await this.forgetVerifier(attempt);
    return expired.length;
  }

  private async forgetVerifier(attempt: OAuthAttemptRow): Promise<void> {
    const name = vaultRefName(attempt.verifier_ref);
    if (name !== undefined) await this.deps.secrets.delete(name).catch(() => false);
  }

  private async saveLogin(attempt: OAuthAttemptRow, credential: OAuthCredential): Promise<ProfileView> {
    const existingRow = await findAuthProfile(this.deps.db, attempt.profile_id);
    const existing = existingRow && profileFromRow(existingRow);
    const now = this.now();
    await upsertAuthProfile(
      this.deps.db,
      profileToRow({
        profileId: attempt.profile_id,
        providerKind: isProfileProviderKind(attempt.provider_kind) ? attempt.provider_kind : "openai_compatible",
        name: existing?.name ?? attempt.profile_id,
        agentId: attempt.agent_id ?? undefined,
        credential,
        baseUrl: undefined,
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
      }),
    );
    if (existing !== undefined) await deleteOwnedRefs(this.deps.secrets, existing.profileId, referencedSecrets(existing)).catch(() => undefined);
    return this.deps.profiles.get(attempt.profile_id);
  }
}
