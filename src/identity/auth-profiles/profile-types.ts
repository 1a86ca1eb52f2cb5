import type { ModelProviderConfig } from "../../config/schema.js";
import { type ProfileProviderKind, profileProviderKinds } from "../../shared/provider-kinds.js";

/** What an auth profile is, independent of storage and transport. The kinds a profile authenticates are shared/'s list. */
export { type ProfileProviderKind, profileProviderKinds };

export function isProfileProviderKind(value: string): value is ProfileProviderKind {
  return (profileProviderKinds as readonly string[]).includes(value);
}

/** `must be "openai", "anthropic" or "openai_compatible"`: the refusal of any other profile kind. */
export const profileProviderKindProblem = `must be ${profileProviderKinds
  .map((kind) => `"${kind}"`)
  .join(", ")
  .replace(/, ([^,]*)$/, " or $1")}`;

export interface ApiKeyCredential {
  kind: "api_key";
  /** "vault:NAME". */
  vaultRef: string;
}

export interface OAuthCredential {
  kind: "oauth";
  /** The [auth.oauth.<name>] the login came from. */
  oauthProvider: string;
  accessTokenRef: string;
  /** Absent when the server issued no refresh token: the profile then lasts as long as its access token. */
  refreshTokenRef: string | undefined;
  tokenEndpoint: string;
  clientId: string;
  scopes: string[];
  /** Milliseconds since the epoch; absent when the server did not say. */
  expiresAt: number | undefined;
  lastRefreshedAt: number | undefined;
  refreshFailures: number;
  lastRefreshError: string | undefined;
}

export type ProfileCredential = ApiKeyCredential | OAuthCredential;

export interface AuthProfile {
  profileId: string;
  providerKind: ProfileProviderKind;
  name: string;
  /** The agent the profile is for; undefined for a global profile. */
  agentId: string | undefined;
  credential: ProfileCredential;
  /** The base URL an API key was validated against. */
  baseUrl: string | undefined;
  createdAt: number;
  updatedAt: number;
  /** Moves on with every credential write; see updateAuthProfileAtGeneration. */
  generation: number;
}

export const profileHealthStates = ["static", "ok", "expiring", "expired", "missing", "refresh_failed"] as const;
export type ProfileHealthState = (typeof profileHealthStates)[number];

export interface ProfileHealth {
  state: ProfileHealthState;
  reason: string;
}

/** Profile ids: 1-64 letters, digits, dot, dash or underscore, starting with a letter or digit. */
export const profileIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Where a key for each provider kind is checked when no base URL is given. */
export const defaultBaseUrls: Partial<Record<ProfileProviderKind, string>> = {
  openai: "https://api.openai.com/v1",
  anthropic: "https://api.anthropic.com/v1",
};

/** A key to check against its provider before a profile stores it. */
export interface ApiKeyCheck {
  providerKind: ProfileProviderKind;
  apiKey: string;
  baseUrl: string;
  /** Whether the base URL may resolve to loopback or private addresses (see AuthProfiles.connectApiKey). */
  allowPrivate: boolean;
  registry: ModelProviderConfig;
  signal?: AbortSignal;
}

/** Lists the provider's models with the key (registry/validate-api-key.ts); a refused key throws. */
export type ApiKeyValidator = (check: ApiKeyCheck) => Promise<string[]>;
