import type { Kysely } from "kysely";
import { LRUCache } from "lru-cache";
import { GatewayError } from "../../shared/errors.js";
import type { Logger } from "../../shared/logger.js";
import { findApiKey, insertApiKey, listApiKeys, revokeApiKey, touchApiKey } from "../../store/api-keys-repository.js";
import type { ApiKeyRow, Database } from "../../store/tables.js";
import type { Caller } from "../caller.js";
import { type ApiKeyInfo, type NewApiKeyInput, toApiKeyInfo, validateNewApiKey } from "./api-key-info.js";
import { issueKey, keyIdOf, keyMatches } from "./key-format.js";
import type { ApiKeyRateLimits, KeyLimits } from "./rate-limits.js";
import { effectiveScopes } from "./scopes.js";

/** A key that proved itself: who is calling, and the limits that apply. */
export interface VerifiedKey {
  caller: Caller;
  limits: KeyLimits;
}

interface CachedKey {
  hash: string;
  expiresAt: number | undefined;
  revokedAt: number | undefined;
  lastUsedAt: number;
  verified: VerifiedKey;
}

export interface ApiKeysDeps {
  db: Kysely<Database>;
  logger: Logger;
  /** Dropped along with a revoked key. */
  rateLimits?: ApiKeyRateLimits;
  now?: () => number;
}

/** last_used_at is written at most this often per key, so using a key costs no write per request. */
const touchIntervalMs = 60_000;
/** Cached rows are re-read after this long, so changes made to the table outside the daemon show up. */
const cacheTtlMs = 60_000;

/**
 * Issues, lists, revokes and verifies client API keys. Verified rows stay in a small LRU cache, so a
 * request costs a hash compare; revoking evicts the key at once, and expiry is checked on every use.
 */
export class ApiKeys {
  private readonly cache = new LRUCache<string, CachedKey>({ max: 10_000, ttl: cacheTtlMs });
  private readonly now: () => number;
  /** Counts revocations, so a row read while one was under way is read again rather than cached stale. */
  private revocations = 0;

  constructor(private readonly deps: ApiKeysDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Issues a key; the returned key is the only copy (only its hash is stored). */
  async create(input: NewApiKeyInput): Promise<{ info: ApiKeyInfo; key: string }> {
    const scopes = validateNewApiKey(input);
    const issued = issueKey();
    const createdAt = this.now();
    const row = {
      key_id: issued.keyId,
      name: input.name.trim(),
      agent_id: input.agentId || null,
      scopes: JSON.stringify(scopes),
      rpm_limit: input.rpmLimit,
      tpm_limit: input.tpmLimit,
      created_at: createdAt,
      expires_at: input.expiresInSeconds > 0 ? createdAt + input.expiresInSeconds * 1000 : null,
      revoked_at: null,
      prefix: issued.prefix,
      hash: issued.hash,
      last_used_at: null,
    };
    await insertApiKey(this.deps.db, row);
    return { info: toApiKeyInfo(row), key: issued.key };
  }

  async list(options: { includeRevoked: boolean }): Promise<ApiKeyInfo[]> {
    return (await listApiKeys(this.deps.db, options)).map(toApiKeyInfo);
  }

  /** Revokes a key, effective at once; revoking it again changes nothing. */
  async revoke(keyId: string): Promise<ApiKeyInfo> {
    const row = await revokeApiKey(this.deps.db, keyId, this.now());
    this.revocations++;
    this.cache.delete(keyId);
    if (row === undefined) throw new GatewayError("not_found", `no API key with id "${keyId}"`, { param: "key_id", code: "api_key_not_found" });
    this.deps.rateLimits?.forget(keyId);
    return toApiKeyInfo(row);
  }

  /** Whether a key with this id was ever issued (revoked and expired ones included). */
  async exists(keyId: string): Promise<boolean> {
    return (await findApiKey(this.deps.db, keyId)) !== undefined;
  }

  /** Whether the credential has the shape of a client key (and is worth looking up). */
  recognizes(presented: string): boolean {
    return keyIdOf(presented) !== undefined;
  }

  /** The caller a presented key proves, or an auth error: unknown, revoked or expired. */
  async verify(presented: string): Promise<VerifiedKey> {
    const keyId = keyIdOf(presented);
    const entry = keyId === undefined ? undefined : (this.cache.get(keyId) ?? (await this.load(keyId)));
    if (keyId === undefined || entry === undefined || !keyMatches(presented, entry.hash)) {
      throw new GatewayError("auth", "Incorrect API key provided", { code: "invalid_api_key" });
    }
    const now = this.now();
    if (entry.revokedAt !== undefined) throw new GatewayError("auth", `API key ${keyId} has been revoked`, { code: "api_key_revoked" });
    if (entry.expiresAt !== undefined && now >= entry.expiresAt) {
      throw new GatewayError("auth", `API key ${keyId} expired at ${new Date(entry.expiresAt).toISOString()}`, { code: "api_key_expired" });
    }
    if (now - entry.lastUsedAt >= touchIntervalMs) {
      entry.lastUsedAt = now;
      touchApiKey(this.deps.db, keyId, now).catch((error: unknown) => this.deps.logger.warn({ err: error, keyId }, "could not record an API key's last use"));
    }
    return entry.verified;
  }

  /**
   * The caller a key stands for when the daemon acts on its behalf (its scheduled jobs and queued
   * tasks), or an auth error when it is unknown, revoked or expired by now.
   */
  async callerFor(keyId: string): Promise<Caller> {
    const entry = this.cache.get(keyId) ?? (await this.load(keyId));
    if (entry === undefined) throw new GatewayError("auth", `API key ${keyId} no longer exists`, { code: "invalid_api_key" });
    if (entry.revokedAt !== undefined) throw new GatewayError("auth", `API key ${keyId} has been revoked`, { code: "api_key_revoked" });
    if (entry.expiresAt !== undefined && this.now() >= entry.expiresAt) {
      throw new GatewayError("auth", `API key ${keyId} expired at ${new Date(entry.expiresAt).toISOString()}`, { code: "api_key_expired" });
    }
    return entry.verified.caller;
  }

  private async load(keyId: string): Promise<CachedKey | undefined> {
    let seen: number;
    let row: ApiKeyRow | undefined;
    do {
      seen = this.revocations;
      row = await findApiKey(this.deps.db, keyId);
    } while (seen !== this.revocations);
    if (row === undefined) return undefined;
    const info = toApiKeyInfo(row);
    const caller: Caller = {
      id: info.keyId,
      kind: "api_key",
      scopes: effectiveScopes(info.scopes),
      ...(info.agentId !== undefined && { agentId: info.agentId }),
    };
    const entry: CachedKey = {
      hash: row.hash,
      expiresAt: info.expiresAt,
      revokedAt: info.revokedAt,
      lastUsedAt: info.lastUsedAt ?? Number.NEGATIVE_INFINITY,
      verified: { caller, limits: { rpm: info.rpmLimit, tpm: info.tpmLimit } },
    };
    this.cache.set(keyId, entry);
    return entry;
  }
}
