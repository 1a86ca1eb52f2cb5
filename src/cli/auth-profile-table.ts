import { type AuthProfile, ProfileScope, profileHealthStateToJSON } from "../../gen/grpc-js/palyra/gateway/v1/auth.js";
import { enumLabel, formatTable } from "./output.js";

/** One row per profile: id, provider kind, scope, credential, health and why. */
export function formatProfileTable(profiles: readonly AuthProfile[], withReasons = false): string {
  const headers = ["profile", "provider", "scope", "credential", "health", ...(withReasons ? ["reason"] : [])];
  return formatTable(
    headers,
    profiles.map((profile) => [
      profile.profileId,
      profile.providerKind,
      profile.scope === ProfileScope.PROFILE_SCOPE_AGENT ? `agent:${profile.agentId}` : "global",
      credentialLabel(profile),
      profile.health ? enumLabel(profileHealthStateToJSON(profile.health.state), "PROFILE_HEALTH_STATE_") : "-",
      ...(withReasons ? [profile.health?.reason ?? ""] : []),
    ]),
  );
}

function credentialLabel(profile: AuthProfile): string {
  if (profile.apiKey !== undefined) return "api key";
  if (profile.oauth !== undefined) return `oauth (${profile.oauth.oauthProvider})`;
  return "-";
}

/** A few lines describing one profile, after it was connected or refreshed. */
export function describeProfile(profile: AuthProfile | undefined): string[] {
  if (profile === undefined) return [];
  const health = profile.health ? `${enumLabel(profileHealthStateToJSON(profile.health.state), "PROFILE_HEALTH_STATE_")}: ${profile.health.reason}` : "-";
  const lines = [
    `profile ${profile.profileId} (${profile.providerKind}, ${profile.scope === ProfileScope.PROFILE_SCOPE_AGENT ? `agent ${profile.agentId}` : "global"})`,
  ];
  if (profile.oauth?.expiresAt !== undefined) lines.push(`access token expires ${profile.oauth.expiresAt.toISOString()}`);
  lines.push(`health ${health}`);
  return lines;
}
