import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { AuthProfileSchema, ProfileHealthState, ProfileScope, type AuthProfile as ProtoAuthProfile } from "../../../gen/es/palyra/gateway/v1/auth_pb.js";
import type { ProfileView } from "../../identity/auth-profiles/auth-profiles.js";
import type { ProfileHealthState as HealthState } from "../../identity/auth-profiles/profile-types.js";

const healthStates: Record<HealthState, ProfileHealthState> = {
  static: ProfileHealthState.STATIC,
  ok: ProfileHealthState.OK,
  expiring: ProfileHealthState.EXPIRING,
  expired: ProfileHealthState.EXPIRED,
  missing: ProfileHealthState.MISSING,
  refresh_failed: ProfileHealthState.REFRESH_FAILED,
};

/** A profile for the API: references and metadata only, never a secret value. */
export function profileToProto({ profile, health }: ProfileView): ProtoAuthProfile {
  const { credential } = profile;
  return create(AuthProfileSchema, {
    profileId: profile.profileId,
    providerKind: profile.providerKind,
    name: profile.name,
    scope: profile.agentId === undefined ? ProfileScope.GLOBAL : ProfileScope.AGENT,
    agentId: profile.agentId ?? "",
    credential:
      credential.kind === "api_key"
        ? { case: "apiKey", value: { vaultRef: credential.vaultRef } }
        : {
            case: "oauth",
            value: {
              accessTokenVaultRef: credential.accessTokenRef,
              refreshTokenVaultRef: credential.refreshTokenRef ?? "",
              tokenEndpoint: credential.tokenEndpoint,
              clientId: credential.clientId,
              scopes: credential.scopes,
              ...(credential.expiresAt !== undefined && { expiresAt: timestampFromMs(credential.expiresAt) }),
              ...(credential.lastRefreshedAt !== undefined && { lastRefreshedAt: timestampFromMs(credential.lastRefreshedAt) }),
              refreshFailures: credential.refreshFailures,
              lastRefreshError: credential.lastRefreshError ?? "",
              oauthProvider: credential.oauthProvider,
            },
          },
    createdAt: timestampFromMs(profile.createdAt),
    updatedAt: timestampFromMs(profile.updatedAt),
    health: { state: healthStates[health.state], reason: health.reason },
    baseUrl: profile.baseUrl ?? "",
  });
}
