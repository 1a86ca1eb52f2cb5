import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ProviderConfig } from "../../src/config/schema.js";
import { resolveProviderCredential, SecretRefError } from "../../src/identity/secret-ref.js";
import { createFileOnce } from "../../src/identity/vault/durable-file.js";
import { keyIdOf, loadMasterKeys, type MasterKeys, parseVaultKey, readKeyFile, VaultKeyError, vaultKeyFileName } from "../../src/identity/vault/master-key.js";
import { openSecret, sealSecret } from "../../src/identity/vault/secret-cipher.js";
import { Vault } from "../../src/identity/vault/vault.js";
import { GatewayError } from "../../src/shared/errors.js";
import { openSqliteStore, type Store } from "../../src/store/open-store.js";

const stores: Store[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

interface Fixture {
  stateDir: string;
  store: Store;
  keys: MasterKeys;
  vault: Vault;
}

async function fixture(env: NodeJS.ProcessEnv = {}): Promise<Fixture> {
  const stateDir = mkdtempSync(join(tmpdir(), "palyra-vault-"));
  const store = await openSqliteStore(join(stateDir, "palyra.sqlite"));
  stores.push(store);
  const keys = loadMasterKeys(stateDir, env);
  return { stateDir, store, keys, vault: new Vault(store.db, keys) };
}

/** What a restarted daemon would have: the keys from disk (or env) and the same database. */
function restarted(f: Fixture, env: NodeJS.ProcessEnv = {}): Vault {
  return new Vault(f.store.db, loadMasterKeys(f.stateDir, env));
}

async function rows(f: Fixture) {
  return f.store.db.selectFrom("vault_secrets").selectAll().orderBy("name").execute();
}

async function caught(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

const hexKey = () => randomBytes(32).toString("hex");

describe("vault secrets", () => {
  it("round-trips values and describes secrets without them", async () => {
    let now = 1_000;
    const f = await fixture();
    const vault = new Vault(f.store.db, f.keys, () => now);
    await vault.put("openai/prod", "sk-live-ÄÖÜ-0001");
    now = 2_000;
    const info = await vault.upsert("openai/prod", "sk-live-0002");
    expect(info).toEqual({ name: "openai/prod", createdAt: new Date(1_000), updatedAt: new Date(2_000), keyId: f.keys.current().active.id, sizeBytes: 12 });
    await vault.put("anthropic.key", "sk-ant-x");

    expect(await vault.get("openai/prod")).toBe("sk-live-0002");
    expect(await vault.get("missing")).toBeUndefined();
    const listed = await vault.list();
    expect(listed.map((secret) => secret.name)).toEqual(["anthropic.key", "openai/prod"]);
    expect(JSON.stringify(listed)).not.toContain("sk-");

    expect(await vault.delete("anthropic.key")).toBe(true);
    expect(await vault.delete("anthropic.key")).toBe(false);
    expect(await vault.get("anthropic.key")).toBeUndefined();
  });

  it("seals every write with a fresh nonce", async () => {
    const f = await fixture();
    await f.vault.put("a", "same value");
    const first = (await rows(f))[0]?.ciphertext;
    await f.vault.put("a", "same value");
    const second = (await rows(f))[0]?.ciphertext;
    expect(first).toBeDefined();
    expect(second).not.toBe(first);
    const key = f.keys.current().active;
    expect(sealSecret(key, "a", "v").equals(sealSecret(key, "a", "v"))).toBe(false);
    expect(openSecret(key, "a", sealSecret(key, "a", "v"))).toBe("v");
  });

  it("refuses a tampered ciphertext, and a row copied to another name, without showing the value", async () => {
    const f = await fixture();
    const value = "sk-tamper-target-123456";
    await f.vault.put("victim", value);
    const [row] = await rows(f);
    if (row === undefined) throw new Error("no row");

    await f.store.db
      .insertInto("vault_secrets")
      .values({ ...row, name: "copy" })
      .execute();
    const moved = await caught(f.vault.get("copy"));
    expect(moved.code).toBe("vault_decrypt_failed");
    expect(moved.message).toMatch(/vault secret "copy" cannot be decrypted/);
    expect(moved.message).not.toContain(value);

    const bytes = Buffer.from(row.ciphertext, "base64");
    bytes[14] = (bytes[14] ?? 0) ^ 0x01;
    await f.store.db
      .updateTable("vault_secrets")
      .set({ ciphertext: bytes.toString("base64") })
      .where("name", "=", "victim")
      .execute();
    const tampered = await caught(f.vault.get("victim"));
    expect(tampered.code).toBe("vault_decrypt_failed");
    expect(tampered.message).not.toContain(value);
    expect(String(tampered.cause ?? "")).not.toContain(value);
  });

  it("keeps values out of the database file in plain text", async () => {
    const f = await fixture();
    const value = "sk-plaintext-canary-9f8e7d";
    await f.vault.put("canary", value);
    await f.store.close();
    stores.splice(stores.indexOf(f.store), 1);
    for (const file of ["palyra.sqlite", "palyra.sqlite-wal"]) {
      let raw: Buffer;
      try {
        raw = readFileSync(join(f.stateDir, file));
      } catch {
        continue;
      }
      expect(raw.includes(value)).toBe(false);
      expect(raw.includes(Buffer.from(value).toString("base64"))).toBe(false);
    }
  });

  it("validates names and values", async () => {
    const f = await fixture();
    for (const name of ["", "a b", "x".repeat(129), "naïve", "a\nb"]) {
      const error = await caught(f.vault.upsert(name, "v"));
      expect(error.kind).toBe("invalid_request");
      expect(error.param).toBe("name");
    }
    await f.vault.put("x".repeat(128), "ok");
    await f.vault.put("A-z_0.9:/-", "ok");
    const empty = await caught(f.vault.upsert("ok", ""));
    expect(empty.param).toBe("value");
    expect((await caught(f.vault.get("bad name"))).param).toBe("name");
  });
});

describe("master key", () => {
  it("parses PALYRA_VAULT_KEY as hex or base64 and names the variable otherwise", () => {
    const bytes = randomBytes(32);
    expect(parseVaultKey(bytes.toString("hex"), "PALYRA_VAULT_KEY").equals(bytes)).toBe(true);
    expect(parseVaultKey(bytes.toString("hex").toUpperCase(), "PALYRA_VAULT_KEY").equals(bytes)).toBe(true);
    expect(parseVaultKey(` ${bytes.toString("base64")}\n`, "PALYRA_VAULT_KEY").equals(bytes)).toBe(true);
    expect(parseVaultKey(bytes.toString("base64url"), "PALYRA_VAULT_KEY").equals(bytes)).toBe(true);
    for (const bad of ["", "short", randomBytes(31).toString("hex"), randomBytes(31).toString("base64"), randomBytes(33).toString("base64"), "z".repeat(64)]) {
      expect(() => parseVaultKey(bad, "PALYRA_VAULT_KEY")).toThrow(VaultKeyError);
      try {
        parseVaultKey(bad, "PALYRA_VAULT_KEY");
      } catch (error) {
        expect((error as Error).message).toContain("PALYRA_VAULT_KEY");
        if (bad.length > 4) expect((error as Error).message).not.toContain(bad);
      }
    }
  });

  it("uses the environment key alone, creating no key file", async () => {
    const key = hexKey();
    const f = await fixture({ PALYRA_VAULT_KEY: key });
    expect(f.keys.source).toBe("env");
    expect(f.keys.current().active.id).toBe(keyIdOf(Buffer.from(key, "hex")));
    expect(() => statSync(join(f.stateDir, vaultKeyFileName))).toThrow();
    expect(() => loadMasterKeys(f.stateDir, { PALYRA_VAULT_KEY: "nope" })).toThrow(/PALYRA_VAULT_KEY must be a 32-byte key/);
    expect(() => loadMasterKeys(f.stateDir, { PALYRA_VAULT_KEY_PREVIOUS: key })).toThrow(/PALYRA_VAULT_KEY is not/);
  });

  it("creates the key file once, with mode 0600, and never overwrites it", async () => {
    const f = await fixture();
    const file = join(f.stateDir, vaultKeyFileName);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, "utf8");
    const parsed = JSON.parse(text) as { active: string; keys: Record<string, string> };
    expect(Object.keys(parsed.keys)).toEqual([parsed.active]);
    expect(parsed.active).toMatch(/^[0-9a-f]{16}$/);
    expect(keyIdOf(Buffer.from(parsed.keys[parsed.active] ?? "", "base64"))).toBe(parsed.active);

    expect(loadMasterKeys(f.stateDir, {}).current().active.id).toBe(parsed.active);
    expect(createFileOnce(file, "other", 0o600)).toBe(false);
    expect(readFileSync(file, "utf8")).toBe(text);
  });

  it("refuses a damaged key file with a message that names it", async () => {
    const f = await fixture();
    const file = join(f.stateDir, vaultKeyFileName);
    writeFileSync(file, "{ not json");
    expect(() => loadMasterKeys(f.stateDir, {})).toThrow(`the vault key file ${file} is damaged`);
    writeFileSync(file, JSON.stringify({ active: "0000000000000000", keys: { "0000000000000000": randomBytes(32).toString("base64") } }));
    expect(() => loadMasterKeys(f.stateDir, {})).toThrow(/does not match its id/);
  });
});

describe("key rotation", () => {
  const values = { "a/one": "sk-one-aaaa", "b/two": "sk-two-bbbb", "c/three": "sk-three-cccc" };

  async function withSecrets(env: NodeJS.ProcessEnv = {}): Promise<Fixture> {
    const f = await fixture(env);
    for (const [name, value] of Object.entries(values)) await f.vault.put(name, value);
    return f;
  }

  async function expectReadable(vault: Vault) {
    for (const [name, value] of Object.entries(values)) expect(await vault.get(name)).toBe(value);
  }

  it("re-encrypts every secret under a new key and drops the old one from rows and file", async () => {
    const f = await withSecrets();
    const oldId = f.keys.current().active.id;
    const result = await f.vault.rotateKey();
    expect(result.reEncrypted).toBe(3);
    expect(result.keyId).not.toBe(oldId);
    expect((await rows(f)).map((row) => row.key_id)).toEqual([result.keyId, result.keyId, result.keyId]);
    const file = join(f.stateDir, vaultKeyFileName);
    expect(readFileSync(file, "utf8")).not.toContain(oldId);
    expect([...(readKeyFile(file)?.keys.keys() ?? [])]).toEqual([result.keyId]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await expectReadable(f.vault);
    await expectReadable(restarted(f));
  });

  it("leaves every secret readable after a crash following step 1", async () => {
    const f = await withSecrets();
    const oldId = f.keys.current().active.id;
    // Step 1 only: the file gains a new active key; the daemon dies before re-encrypting.
    const newId = loadMasterKeys(f.stateDir, {}).beginRotation().active.id;
    const file = join(f.stateDir, vaultKeyFileName);
    expect(readKeyFile(file)?.active.id).toBe(newId);
    expect([...(readKeyFile(file)?.keys.keys() ?? [])].sort()).toEqual([oldId, newId].sort());

    const after = restarted(f);
    await expectReadable(after);
    expect((await after.upsert("d/four", "sk-four")).keyId).toBe(newId);
    const result = await after.rotateKey();
    expect(result.reEncrypted).toBe(4);
    expect(new Set((await rows(f)).map((row) => row.key_id))).toEqual(new Set([result.keyId]));
    expect([...(readKeyFile(file)?.keys.keys() ?? [])]).toEqual([result.keyId]);
    await expectReadable(restarted(f));
  });

  it("leaves every secret readable when step 2 fails or the daemon dies before step 3", async () => {
    const f = await withSecrets();
    const oldId = f.keys.current().active.id;
    // A row that cannot be opened stops step 2; its transaction changes nothing.
    await f.store.db
      .insertInto("vault_secrets")
      .values({ name: "z/broken", ciphertext: randomBytes(40).toString("base64"), key_id: oldId, created_at: 1, updated_at: 1 })
      .execute();
    const failed = await caught(f.vault.rotateKey());
    expect(failed.message).toContain('"z/broken"');
    expect((await rows(f)).every((row) => row.key_id === oldId)).toBe(true);
    await expectReadable(restarted(f));
    await f.vault.delete("z/broken");

    // Steps 1 and 2 complete, the daemon dies before step 3: rows are under the new key, both keys on disk.
    const keys = loadMasterKeys(f.stateDir, {});
    const dying: MasterKeys = {
      source: keys.source,
      current: () => keys.current(),
      beginRotation: () => keys.beginRotation(),
      finishRotation: () => {
        throw new Error("killed");
      },
    };
    await expect(new Vault(f.store.db, dying).rotateKey()).rejects.toThrow("killed");
    const newId = keys.current().active.id;
    expect(new Set((await rows(f)).map((row) => row.key_id))).toEqual(new Set([newId]));
    await expectReadable(restarted(f));
  });

  it("refuses to rotate an environment key unless the previous key is given", async () => {
    const oldKey = hexKey();
    const f = await withSecrets({ PALYRA_VAULT_KEY: oldKey });
    const refused = await caught(f.vault.rotateKey());
    expect(refused.kind).toBe("invalid_request");
    expect(refused.code).toBe("vault_key_from_env");
    expect(refused.message).toContain("PALYRA_VAULT_KEY_PREVIOUS");

    const newKey = hexKey();
    const missing = await caught(restarted(f, { PALYRA_VAULT_KEY: newKey }).get("a/one"));
    expect(missing.code).toBe("vault_key_missing");

    const both = restarted(f, { PALYRA_VAULT_KEY: newKey, PALYRA_VAULT_KEY_PREVIOUS: oldKey });
    await expectReadable(both);
    const result = await both.rotateKey();
    expect(result).toEqual({ reEncrypted: 3, keyId: keyIdOf(Buffer.from(newKey, "hex")) });
    await expectReadable(restarted(f, { PALYRA_VAULT_KEY: newKey }));
  });
});

describe("provider credentials from the vault", () => {
  const provider = (ref: string) => ({ provider_id: "up", kind: "openai_compatible", api_key_vault_ref: ref }) as unknown as ProviderConfig;

  it("reads the secret per request and reports a missing one without a value", async () => {
    const f = await fixture();
    const { apiKey, credential } = resolveProviderCredential(provider("vault:up/key"), {}, { vault: f.vault });
    expect(apiKey).toBeUndefined();
    if (credential === undefined) throw new Error("no credential hook");
    const missing = await caught(credential(undefined));
    expect(missing.kind).toBe("auth");
    expect(missing.code).toBe("credential_missing");
    expect(missing.message).toContain('"vault:up/key"');
    await f.vault.put("up/key", "sk-first");
    expect(await credential(undefined)).toBe("sk-first");
    await f.vault.put("up/key", "sk-second");
    expect(await credential("agent-1")).toBe("sk-second");
  });

  it("rejects a malformed reference, or a missing vault, at start-up", async () => {
    const f = await fixture();
    expect(() => resolveProviderCredential(provider("vault:bad name"), {}, { vault: f.vault })).toThrow(SecretRefError);
    expect(() => resolveProviderCredential(provider("vault:ok"), {}, {})).toThrow(/needs the vault/);
  });
});
