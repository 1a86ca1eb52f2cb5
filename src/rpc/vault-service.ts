import type { ServiceImpl } from "@connectrpc/connect";
import type { VaultService } from "../../gen/es/palyra/gateway/v1/vault_pb.js";
import type { Vault } from "../identity/vault/vault.js";
import { secretInfoToProto } from "./convert/vault-to-proto.js";

/** VaultService: secrets go in, descriptions come out; no procedure returns a value. Admin only. */
export function createVaultService(vault: Vault): ServiceImpl<typeof VaultService> {
  return {
    async putSecret(request) {
      return { secret: secretInfoToProto(await vault.upsert(request.name, request.value)) };
    },

    async listSecrets() {
      return { secrets: (await vault.list()).map(secretInfoToProto) };
    },

    async deleteSecret(request) {
      return { deleted: await vault.delete(request.name) };
    },

    async rotateKey() {
      return vault.rotateKey();
    },
  };
}
