import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { AccessControl } from "../../src/identity/access.js";
import { ApiKeys } from "../../src/identity/api-keys/api-keys.js";
import { ApiKeyRateLimits } from "../../src/identity/api-keys/rate-limits.js";
import { findApiKey } from "../../src/store/api-keys-repository.js";
import { openSqliteStore, type Store } from "../../src/store/open-store.js";

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

async function setUp() {
  const store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), "palyra-keys-")), "palyra.sqlite"));
  stores.push(store);
  let now = 1_700_000_000_000;
  const clock = { now: () => now, advance: (ms: number) => (now += ms) };
  const rateLimits = new ApiKeyRateLimits(clock.now);
  const apiKeys = new ApiKeys({ db: store.db, logger: pino({ level: "silent" }), rateLimits, now: clock.now });
  const access = new AccessControl("admin-secret", { apiKeys, rateLimits });
  return { store, clock, apiKeys, access };
}

const base = { name: "ci", scopes: ["chat.create"], rpmLimit: 0, tpmLimit: 0, expiresInSeconds: 0 };
const bearer = (key: string) => `Bearer ${key}`;

describe("ApiKeys", () => {
  it("stores only the hash and a prefix, and verifies the key", async () => {
    const { store, apiKeys, access } = await setUp();
    const { info, key } = await apiKeys.create({ ...base, agentId: "agent-1", scopes: ["chat.create", "models.read", "chat.create"] });
    expect(info).toMatchObject({ name: "ci", agentId: "agent-1", scopes: ["chat.create", "models.read"], expiresAt: undefined, revokedAt: undefined });
    const row = await findApiKey(store.db, info.keyId);
    expect(JSON.stringify(row)).not.toContain(key.slice(`plk_${info.keyId}_`.length));
    expect(key.startsWith(row?.prefix ?? "?")).toBe(true);

    const caller = await access.authenticate(bearer(key));
    expect(caller).toMatchObject({ id: info.keyId, kind: "api_key", agentId: "agent-1" });
    expect([...caller.scopes].sort()).toEqual(["chat.create", "models.read"]);
    await expect(access.authenticate(bearer(`${key.slice(0, -2)}xx`))).rejects.toMatchObject({ kind: "auth", code: "invalid_api_key" });
    await expect(access.authenticate(bearer(`plk_000000000000_${"a".repeat(43)}`))).rejects.toMatchObject({ kind: "auth", code: "invalid_api_key" });
    expect((await access.authenticate(bearer("admin-secret"))).kind).toBe("admin");
  });

  it("validates new keys, naming the field at fault", async () => {
    const { apiKeys } = await setUp();
    await expect(apiKeys.create({ ...base, scopes: ["chat.create", "chat.write"] })).rejects.toMatchObject({
      kind: "invalid_request",
      param: "scopes[1]",
      message: expect.stringContaining('unknown scope "chat.write"'),
    });
    await expect(apiKeys.create({ ...base, scopes: [] })).rejects.toMatchObject({ param: "scopes" });
    await expect(apiKeys.create({ ...base, name: "  " })).rejects.toMatchObject({ param: "name" });
    await expect(apiKeys.create({ ...base, expiresInSeconds: 1e12 })).rejects.toMatchObject({ param: "expires_in_seconds" });
  });

  it("refuses a revoked key at once, even while it is cached", async () => {
    const { apiKeys, access } = await setUp();
    const { info, key } = await apiKeys.create(base);
    await access.authenticate(bearer(key));
    const revoked = await apiKeys.revoke(info.keyId);
    expect(revoked.revokedAt).toBeDefined();
    await expect(access.authenticate(bearer(key))).rejects.toMatchObject({ kind: "auth", code: "api_key_revoked" });
    expect((await apiKeys.list({ includeRevoked: false })).map((listed) => listed.keyId)).toEqual([]);
    expect((await apiKeys.list({ includeRevoked: true })).map((listed) => listed.keyId)).toEqual([info.keyId]);
    await expect(apiKeys.revoke("000000000000")).rejects.toMatchObject({ kind: "not_found", param: "key_id" });
  });

  it("checks expiry on every use, cached or not", async () => {
    const { apiKeys, access, clock } = await setUp();
    const { info, key } = await apiKeys.create({ ...base, expiresInSeconds: 60 });
    expect(info.expiresAt).toBe(info.createdAt + 60_000);
    await access.authenticate(bearer(key));
    clock.advance(59_999);
    await access.authenticate(bearer(key));
    clock.advance(1);
    await expect(access.authenticate(bearer(key))).rejects.toMatchObject({ kind: "auth", code: "api_key_expired" });
  });

  it("checks the call's scope and the key's limits on authorize; admin has every scope and no limits", async () => {
    const { apiKeys, access } = await setUp();
    const { key } = await apiKeys.create({ ...base, rpmLimit: 1 });
    await expect(access.authorize(bearer(key), { scope: "embeddings.create", startsRun: true })).rejects.toMatchObject({ kind: "permission" });
    // The refused call did not use the key's one request.
    await access.authorize(bearer(key), { scope: "chat.create", startsRun: true });
    await expect(access.authorize(bearer(key), { scope: "chat.create", startsRun: true })).rejects.toMatchObject({ kind: "rate_limit", retryAfterMs: 60_000 });
    await access.authorize(bearer(key), { scope: "chat.create", startsRun: false });
    for (let i = 0; i < 5; i++) await access.authorize(bearer("admin-secret"), { scope: "admin", startsRun: true });
  });

  it("records the last use at most once a minute", async () => {
    const { store, apiKeys, access, clock } = await setUp();
    const { info, key } = await apiKeys.create(base);
    const lastUsed = async () => (await findApiKey(store.db, info.keyId))?.last_used_at;
    expect(await lastUsed()).toBeNull();
    const first = clock.now();
    await access.authenticate(bearer(key));
    await expect.poll(lastUsed).toBe(first);
    clock.advance(30_000);
    await access.authenticate(bearer(key));
    clock.advance(30_000);
    await access.authenticate(bearer(key));
    await expect.poll(lastUsed).toBe(first + 60_000);
  });
});
