import { createHash, randomBytes } from "node:crypto";
import { calculatePKCECodeChallenge } from "oauth4webapi";

export interface PkcePair {
  /** 32 random bytes, base64url (43 characters): sent only with the code, to the token endpoint. */
  verifier: string;
  /** base64url(SHA-256(verifier)): sent with the authorization request. */
  challenge: string;
  method: "S256";
}

/** A fresh PKCE verifier and its S256 challenge (RFC 7636). */
export async function createPkcePair(): Promise<PkcePair> {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: await calculatePKCECodeChallenge(verifier), method: "S256" };
}

/** A fresh OAuth state: 32 random bytes, base64url. Only its hash is stored (hashState). */
export function createState(): string {
  return randomBytes(32).toString("base64url");
}

/** What the store keeps of a state: enough to find the attempt again, nothing that could answer for it. */
export function hashState(state: string): string {
  return createHash("sha256").update(state, "utf8").digest("hex");
}
