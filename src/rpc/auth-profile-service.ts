import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { type AuthProfileService, ProfileScope } from "../../gen/es/palyra/gateway/v1/auth_pb.js";
import type { AuthProfiles, ProfileInput } from "../identity/auth-profiles/auth-profiles.js";
import { isProfileProviderKind, type ProfileProviderKind, profileProviderKindProblem } from "../identity/auth-profiles/profile-types.js";
import type { OAuthLogins } from "../identity/oauth/oauth-logins.js";
import type { TokenRefresher } from "../identity/oauth/token-refresher.js";
import { invalidRequest } from "../shared/errors.js";
import { profileToProto } from "./convert/auth-profile-to-proto.js";

export interface AuthProfileServiceDeps {
  profiles: AuthProfiles;
  logins: OAuthLogins;
  refresher: TokenRefresher;
}

/** AuthProfileService: upstream credentials. CompleteOAuth is public (the state authenticates it); the rest is admin-only. */
export function createAuthProfileService({ profiles, logins, refresher }: AuthProfileServiceDeps): ServiceImpl<typeof AuthProfileService> {
  return {
    async listProfiles(request) {
      const views = await profiles.list(request.agentId ? { agentId: request.agentId, includeGlobal: request.includeGlobal } : {});
      return { profiles: views.map(profileToProto) };
    },

    async getProfile(request) {
      return { profile: profileToProto(await profiles.get(requireProfileId(request.profileId))) };
    },

    async setProfile(request) {
      const profile = request.profile;
      if (profile === undefined) throw invalidRequest("profile", "is required");
      const input: ProfileInput = {
        profileId: requireProfileId(profile.profileId),
        providerKind: profile.providerKind === "" ? undefined : parseKind(profile.providerKind, "profile.provider_kind"),
        name: profile.name || undefined,
        agentId: agentIdOf(profile.scope, profile.agentId),
        apiKey: request.apiKey || undefined,
        apiKeyRef: profile.credential.case === "apiKey" && profile.credential.value.vaultRef !== "" ? profile.credential.value.vaultRef : undefined,
      };
      return { profile: profileToProto(await profiles.set(input)) };
    },

    async deleteProfile(request) {
      return { deleted: await profiles.delete(requireProfileId(request.profileId)) };
    },

    async connectApiKey(request, context) {
      const { view, modelCount } = await profiles.connectApiKey(
        {
          profileId: requireProfileId(request.profileId),
          providerKind: parseKind(request.providerKind, "provider_kind"),
          apiKey: request.apiKey,
          baseUrl: request.baseUrl || undefined,
          agentId: request.agentId || undefined,
          name: request.name || undefined,
        },
        context.signal,
      );
      return { profile: profileToProto(view), modelCount };
    },

    async startOAuth(request) {
      if (request.oauthProvider === "") throw invalidRequest("oauth_provider", "is required");
      const started = await logins.start({
        oauthProvider: request.oauthProvider,
        profileId: requireProfileId(request.profileId),
        agentId: request.agentId || undefined,
        providerKind: request.providerKind || undefined,
      });
      return { authorizeUrl: started.authorizeUrl, state: started.state, expiresAt: timestampFromMs(started.expiresAt) };
    },

    async completeOAuth(request) {
      return { profile: profileToProto(await logins.complete(request.state, request.code)) };
    },

    async refreshProfile(request) {
      const refreshed = await refresher.refresh(requireProfileId(request.profileId));
      return { profile: profileToProto(await profiles.view(refreshed)) };
    },

    async getAuthHealth() {
      return { profiles: (await profiles.list()).map(profileToProto) };
    },
  };
}

function requireProfileId(profileId: string): string {
  if (profileId === "") throw invalidRequest("profile_id", "is required");
  return profileId;
}

function parseKind(kind: string, param: string): ProfileProviderKind {
  if (!isProfileProviderKind(kind)) throw invalidRequest(param, profileProviderKindProblem);
  return kind;
}

/** The scope and agent id of a SetProfile, as ProfileInput.agentId: "" for global, undefined to keep. */
function agentIdOf(scope: ProfileScope, agentId: string): string | undefined {
  if (scope === ProfileScope.AGENT && agentId === "") throw invalidRequest("profile.agent_id", "is required when scope is PROFILE_SCOPE_AGENT");
  if (scope === ProfileScope.GLOBAL && agentId !== "") throw invalidRequest("profile.agent_id", "must be empty when scope is PROFILE_SCOPE_GLOBAL");
  if (scope === ProfileScope.GLOBAL) return "";
  return agentId === "" ? undefined : agentId;
}
