import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const adminTokenFileName = "admin-token";

/**
 * The admin token: PALYRA_ADMIN_TOKEN when set, else the one generated once into the state
 * directory (mode 0600) so that the CLI on the same host can read it.
 */
export function loadOrCreateAdminToken(stateDir: string, env: NodeJS.ProcessEnv): string {
  const fromEnv = env.PALYRA_ADMIN_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  const file = join(stateDir, adminTokenFileName);
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const token = `plk_admin_${randomBytes(32).toString("base64url")}`;
  // "wx" fails if another process created the file first, instead of overwriting its token.
  writeFileSync(file, `${token}\n`, { mode: 0o600, flag: "wx" });
  return token;
}

/** Reads the admin token the way the CLI does: environment first, then the state directory. */
export function readAdminToken(stateDir: string, env: NodeJS.ProcessEnv): string | undefined {
  const fromEnv = env.PALYRA_ADMIN_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  const file = join(stateDir, adminTokenFileName);
  return existsSync(file) ? readFileSync(file, "utf8").trim() : undefined;
}

const digest = (value: string) => createHash("sha256").update(value).digest();

/** Compares tokens in constant time (digests first, so lengths do not leak either). */
export function tokensMatch(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** A token to check many presented tokens against; its digest is computed once. */
export function tokenMatcher(expected: string): (presented: string) => boolean {
  const expectedDigest = digest(expected);
  return (presented) => timingSafeEqual(digest(presented), expectedDigest);
}
