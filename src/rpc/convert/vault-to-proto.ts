import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { SecretInfoSchema } from "../../../gen/es/palyra/gateway/v1/vault_pb.js";
import type { SecretInfo } from "../../identity/vault/vault.js";

/** A secret's description for the API; there is no field a value could go in. */
export function secretInfoToProto(info: SecretInfo): MessageInitShape<typeof SecretInfoSchema> {
  return {
    name: info.name,
    createdAt: timestampFromDate(info.createdAt),
    updatedAt: timestampFromDate(info.updatedAt),
    keyId: info.keyId,
    sizeBytes: info.sizeBytes,
  };
}
