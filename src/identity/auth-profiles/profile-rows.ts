import type { AuthProfileRow, NewAuthProfileRow } from "../../store/tables.js";
import { type AuthProfile, isProfileProviderKind, type ProfileCredential } from "./profile-types.js";

/** A stored row as the domain type. Rows are written only through profileToRow, so their shape holds. */
export function profileFromRow(row: AuthProfileRow): AuthProfile {
  const providerKind = isProfileProviderKind(row.provider_kind) ? row.provider_kind : "openai_compatible";
  const credential: ProfileCredential =
    row.credential_kind === "api_key"
      ? { kind: "api_key", vaultRef: row.api_key_ref ?? "" }
      : {
          kind: "oauth",
          oauthProvider: row.oauth_provider ?? "",
          accessTokenRef: row.access_token_ref ?? "",
          refreshTokenRef: row.refresh_token_ref ?? undefined,
          tokenEndpoint: row.token_endpoint ?? "",
          clientId: row.client_id ?? "",
          scopes: row.scopes ? row.scopes.split(" ") : [],
          expiresAt: toNumber(row.expires_at),
          lastRefreshedAt: toNumber(row.last_refreshed_at),
          refreshFailures: Number(row.refresh_failures),
          lastRefreshError: row.last_refresh_error ?? undefined,
        };
  return {
    profileId: row.profile_id,
    providerKind,
    name: row.name,
    agentId: row.agent_id ?? undefined,
    credential,
    baseUrl: row.base_url ?? undefined,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    generation: Number(row.generation),
  };
}

/** The row that stores a profile (its generation is the store's to move). */
export function profileToRow(profile: Omit<AuthProfile, "generation">): NewAuthProfileRow {
  const { credential } = profile;
  const oauth = credential.kind === "oauth" ? credential : undefined;
  return {
    profile_id: profile.profileId,
    provider_kind: profile.providerKind,
    name: profile.name,
    agent_id: profile.agentId ?? null,
    credential_kind: credential.kind,
    base_url: profile.baseUrl ?? null,
    api_key_ref: credential.kind === "api_key" ? credential.vaultRef : null,
    access_token_ref: oauth?.accessTokenRef ?? null,
    refresh_token_ref: oauth?.refreshTokenRef ?? null,
    oauth_provider: oauth?.oauthProvider ?? null,
    token_endpoint: oauth?.tokenEndpoint ?? null,
    client_id: oauth?.clientId ?? null,
    scopes: oauth ? oauth.scopes.join(" ") : null,
    expires_at: oauth?.expiresAt ?? null,
    last_refreshed_at: oauth?.lastRefreshedAt ?? null,
    refresh_failures: oauth?.refreshFailures ?? 0,
    last_refresh_error: oauth?.lastRefreshError ?? null,
    created_at: profile.createdAt,
    updated_at: profile.updatedAt,
  };
}

/** SQLite returns bigint columns as numbers, PostgreSQL as strings. */
function toNumber(value: number | string | null): number | undefined {
  return value === null ? undefined : Number(value);
}
