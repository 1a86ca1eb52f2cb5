import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, expect, it, vi } from "vitest";
import { AccessControl } from "../../src/identity/access.js";
import { ApiKeys } from "../../src/identity/api-keys/api-keys.js";
import * as repository from "../../src/store/api-keys-repository.js";
import { openSqliteStore, type Store } from "../../src/store/open-store.js";

// Lets the test hold a key's row between reading it and caching it, as a slow database would.
vi.mock("../../src/store/api-keys-repository.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../src/store/api-keys-repository.js")>();
  return { ...original, findApiKey: vi.fn(original.findApiKey) };
});

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

it("does not cache a row read while the key was being revoked", async () => {
  const store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), "palyra-keys-race-")), "palyra.sqlite"));
  stores.push(store);
  const apiKeys = new ApiKeys({ db: store.db, logger: pino({ level: "silent" }) });
  const access = new AccessControl("admin-secret", { apiKeys });
  const { info, key } = await apiKeys.create({ name: "race", scopes: ["chat.create"], rpmLimit: 0, tpmLimit: 0, expiresInSeconds: 0 });

  const findApiKey = vi.mocked(repository.findApiKey);
  const realFind = findApiKey.getMockImplementation() ?? (() => Promise.resolve(undefined));
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  let readBeforeRevoke = false;
  findApiKey.mockImplementationOnce(async (db, keyId) => {
    const row = await realFind(db, keyId);
    readBeforeRevoke = row?.revoked_at === null;
    await held;
    return row;
  });

  const racing = access.authenticate(`Bearer ${key}`);
  await expect.poll(() => readBeforeRevoke).toBe(true);
  await apiKeys.revoke(info.keyId);
  release();
  await racing.catch(() => undefined);
  await expect(access.authenticate(`Bearer ${key}`)).rejects.toMatchObject({ kind: "auth", code: "api_key_revoked" });
});
