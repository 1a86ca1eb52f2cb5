import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

// A client API key is "plk_<keyId>_<secret>": the key id (12 hex characters) finds the stored row,
// the secret (32 random bytes, base64url) proves possession. Only a SHA-256 hash of the whole key is
// stored: the secret is random with 256 bits of entropy, so a slow password hash would add cost on
// every request and no security.

const keyPattern = /^plk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
const secretBytes = 32;
/** The secret characters kept in the prefix, so that an operator can tell two keys apart. */
const prefixSecretChars = 4;

export interface IssuedKey {
  keyId: string;
  /** The whole key, to hand to the caller once. */
  key: string;
  /** "plk_<keyId>_<first characters>": shown in listings, useless for authenticating. */
  prefix: string;
  /** Hex SHA-256 of the whole key, the only form stored. */
  hash: string;
}

/** Makes a new random key. */
export function issueKey(): IssuedKey {
  const keyId = randomBytes(6).toString("hex");
  const secret = randomBytes(secretBytes).toString("base64url");
  const key = `plk_${keyId}_${secret}`;
  return { keyId, key, prefix: `plk_${keyId}_${secret.slice(0, prefixSecretChars)}`, hash: hashKey(key) };
}

/** The key id of a well-formed client key; undefined for anything else (the admin token, garbage). */
export function keyIdOf(presented: string): string | undefined {
  return keyPattern.exec(presented)?.[1];
}

export function hashKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** Whether the presented key hashes to the stored hash, compared in constant time. */
export function keyMatches(presented: string, storedHash: string): boolean {
  const expected = Buffer.from(storedHash, "hex");
  const actual = createHash("sha256").update(presented).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
