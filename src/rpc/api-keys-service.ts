import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import type { ApiKeysService, ApiKeyInfo as ProtoApiKeyInfo } from "../../gen/es/palyra/gateway/v1/api_keys_pb.js";
import type { ApiKeyInfo } from "../identity/api-keys/api-key-info.js";
import type { ApiKeys } from "../identity/api-keys/api-keys.js";
import { invalidRequest } from "../shared/errors.js";

/** ApiKeysService: issues, lists and revokes client API keys (admin only, see procedure-scopes.ts). */
export function createApiKeysService(apiKeys: ApiKeys): ServiceImpl<typeof ApiKeysService> {
  return {
    async createApiKey(request) {
      const { info, key } = await apiKeys.create({
        name: request.name,
        agentId: request.agentId,
        scopes: request.scopes,
        rpmLimit: request.rpmLimit,
        tpmLimit: request.tpmLimit,
        expiresInSeconds: Number(request.expiresInSeconds),
      });
      return { key: apiKeyInfoToProto(info), secret: key };
    },

    async listApiKeys(request) {
      const keys = await apiKeys.list({ includeRevoked: request.includeRevoked });
      return { keys: keys.map(apiKeyInfoToProto) };
    },

    async revokeApiKey(request) {
      if (!request.keyId) throw invalidRequest("key_id", "is required");
      return { key: apiKeyInfoToProto(await apiKeys.revoke(request.keyId)) };
    },
  };
}

function apiKeyInfoToProto(info: ApiKeyInfo): Omit<ProtoApiKeyInfo, "$typeName"> {
  return {
    keyId: info.keyId,
    name: info.name,
    agentId: info.agentId ?? "",
    scopes: info.scopes,
    rpmLimit: info.rpmLimit,
    tpmLimit: info.tpmLimit,
    createdAt: timestampFromMs(info.createdAt),
    prefix: info.prefix,
    ...(info.expiresAt !== undefined && { expiresAt: timestampFromMs(info.expiresAt) }),
    ...(info.revokedAt !== undefined && { revokedAt: timestampFromMs(info.revokedAt) }),
    ...(info.lastUsedAt !== undefined && { lastUsedAt: timestampFromMs(info.lastUsedAt) }),
  };
}
