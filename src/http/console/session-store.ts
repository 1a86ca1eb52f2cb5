import { randomBytes } from "node:crypto";
import type { VerifiedKey } from "../../identity/api-keys/api-keys.js";

/** A signed-in console: the credential it stands for, and the CSRF token its page sends with every change. */
export interface ConsoleSession {
  id: string;
  csrfToken: string;
  verified: VerifiedKey;
  /** Milliseconds since the epoch, on the store's clock. */
  expiresAt: number;
}

/** Sessions kept at once; signing in beyond it ends the session closest to expiry, so memory stays bounded. */
const maxSessions = 1_000;

/**
 * The console's sessions, in memory (a restart signs everyone out, which is the safe side). Ids and CSRF
 * tokens are 32 random bytes; a session ends `ttlMs` after sign-in, read on the injected clock so tests
 * can end one without waiting.
 */
export class ConsoleSessionStore {
  private readonly sessions = new Map<string, ConsoleSession>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  create(verified: VerifiedKey): ConsoleSession {
    this.dropExpired();
    // Insertion order is expiry order (one TTL for all), so the first entry is the closest to expiry.
    if (this.sessions.size >= maxSessions) this.sessions.delete(this.sessions.keys().next().value as string);
    const session = { id: randomToken(), csrfToken: randomToken(), verified, expiresAt: this.now() + this.ttlMs };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id; an expired one is forgotten and reads as none. */
  get(id: string | undefined): ConsoleSession | undefined {
    if (id === undefined) return undefined;
    const session = this.sessions.get(id);
    if (session === undefined) return undefined;
    if (session.expiresAt <= this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return session;
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  private dropExpired(): void {
    const now = this.now();
    for (const [id, session] of this.sessions) {
      if (session.expiresAt > now) break;
      this.sessions.delete(id);
    }
  }
}

function randomToken(): string {
  return randomBytes(32).toString("base64url");
}
