import type { AuthProfile, ProfileHealth } from "./profile-types.js";

/** An access token this close to expiry is reported as expiring. */
export const expiringWithinMs = 15 * 60_000;

/** The vault references a profile's credential depends on. */
export function referencedSecrets(profile: Pick<AuthProfile, "credential">): string[] {
  const { credential } = profile;
  if (credential.kind === "api_key") return [credential.vaultRef];
  return credential.refreshTokenRef === undefined ? [credential.accessTokenRef] : [credential.accessTokenRef, credential.refreshTokenRef];
}

/**
 * How usable a profile's credential is. A missing secret comes first (nothing works without it),
 * then expiry, then a failing refresh (the token still works, but not for long), then time left.
 */
export function classifyProfileHealth(profile: AuthProfile, missingRefs: readonly string[], now: number): ProfileHealth {
  if (missingRefs.length > 0) {
    return { state: "missing", reason: `the vault has no secret ${missingRefs.join(", ")}; connect the profile again` };
  }
  const { credential } = profile;
  if (credential.kind === "api_key") return { state: "static", reason: "API key; it does not expire" };

  const failure =
    credential.refreshFailures > 0 ? `last refresh failed (${credential.refreshFailures}x): ${credential.lastRefreshError ?? "unknown error"}` : undefined;
  const noRefresh = credential.refreshTokenRef === undefined ? "; there is no refresh token, log in again" : "";
  if (credential.expiresAt === undefined) {
    return failure !== undefined ? { state: "refresh_failed", reason: failure } : { state: "ok", reason: "the server gave no expiry for the access token" };
  }
  const left = credential.expiresAt - now;
  const at = new Date(credential.expiresAt).toISOString();
  if (left <= 0) return { state: "expired", reason: `the access token expired at ${at}${failure ? `; ${failure}` : noRefresh}` };
  if (failure !== undefined) return { state: "refresh_failed", reason: `${failure}; the access token expires at ${at}` };
  if (left < expiringWithinMs) return { state: "expiring", reason: `the access token expires at ${at} (in ${formatDuration(left)})${noRefresh}` };
  return { state: "ok", reason: `the access token expires at ${at}` };
}

function formatDuration(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  return seconds < 120 ? `${seconds}s` : `${Math.round(seconds / 60)} min`;
}
