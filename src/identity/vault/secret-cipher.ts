import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { GatewayError } from "../../shared/errors.js";
import type { MasterKey } from "./master-key.js";

const algorithm = "aes-256-gcm";
const nonceBytes = 12;
const tagBytes = 16;

/** Bytes a sealed secret adds to its plaintext: the nonce in front, the tag behind. */
export const sealOverheadBytes = nonceBytes + tagBytes;

/**
 * Binds a ciphertext to its secret's name and key id: a row copied to another name, or relabelled
 * with another key id, fails authentication instead of decrypting.
 */
function associatedData(name: string, keyId: string): Buffer {
  return Buffer.from(`palyra-vault-v1\0${name}\0${keyId}`, "utf8");
}

/** AES-256-GCM with a fresh random nonce; returns nonce | ciphertext | tag. */
export function sealSecret(key: MasterKey, name: string, plaintext: string): Buffer {
  const nonce = randomBytes(nonceBytes);
  const cipher = createCipheriv(algorithm, key.bytes, nonce, { authTagLength: tagBytes });
  cipher.setAAD(associatedData(name, key.id));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

/**
 * Opens what sealSecret produced for the same name and key. Any mismatch (altered bytes, another
 * secret's row, another key) is an error that names the secret and says nothing of its contents.
 */
export function openSecret(key: MasterKey, name: string, sealed: Buffer): string {
  if (sealed.length < sealOverheadBytes) throw undecryptable(name, "the stored ciphertext is truncated");
  const nonce = sealed.subarray(0, nonceBytes);
  const tag = sealed.subarray(sealed.length - tagBytes);
  const body = sealed.subarray(nonceBytes, sealed.length - tagBytes);
  try {
    const decipher = createDecipheriv(algorithm, key.bytes, nonce, { authTagLength: tagBytes });
    decipher.setAAD(associatedData(name, key.id));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
  } catch {
    // node:crypto only says "unable to authenticate data"; nothing from the plaintext is kept.
    throw undecryptable(name, "the ciphertext was altered, belongs to another secret, or was sealed with another key");
  }
}

function undecryptable(name: string, why: string): GatewayError {
  return new GatewayError("internal", `vault secret "${name}" cannot be decrypted: ${why}`, { code: "vault_decrypt_failed" });
}
