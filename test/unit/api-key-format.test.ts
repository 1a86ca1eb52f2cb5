import { describe, expect, it } from "vitest";
import { hashKey, issueKey, keyIdOf, keyMatches } from "../../src/identity/api-keys/key-format.js";
import { effectiveScopes, requireScope } from "../../src/identity/api-keys/scopes.js";

describe("client API key format", () => {
  it("issues plk_<keyId>_<secret> keys with a 12-hex id and a 256-bit secret", () => {
    const issued = issueKey();
    expect(issued.key).toMatch(/^plk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(issued.key.startsWith(`plk_${issued.keyId}_`)).toBe(true);
    const secret = issued.key.slice(`plk_${issued.keyId}_`.length);
    expect(Buffer.from(secret, "base64url")).toHaveLength(32);
    expect(issued.key.startsWith(issued.prefix)).toBe(true);
    expect(issued.prefix.length).toBeLessThan(issued.key.length - 32);
    expect(issueKey().key).not.toBe(issued.key);
  });

  it("keeps only a SHA-256 hash, which verifies the key and nothing else", () => {
    const issued = issueKey();
    expect(issued.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(issued.hash).toBe(hashKey(issued.key));
    expect(issued.hash).not.toContain(issued.key.slice(-20));
    expect(keyMatches(issued.key, issued.hash)).toBe(true);
    const tampered = `${issued.key.slice(0, -1)}${issued.key.endsWith("A") ? "B" : "A"}`;
    expect(keyMatches(tampered, issued.hash)).toBe(false);
    expect(keyMatches(issued.key, "00")).toBe(false);
  });

  it("recognises the key id of well-formed keys only", () => {
    const issued = issueKey();
    expect(keyIdOf(issued.key)).toBe(issued.keyId);
    expect(keyIdOf(`plk_admin_${"x".repeat(43)}`)).toBeUndefined();
    expect(keyIdOf(`${issued.key}x`)).toBeUndefined();
    expect(keyIdOf("sk-something")).toBeUndefined();
  });
});

describe("scopes", () => {
  it("lets admin imply every scope and names the missing one", () => {
    expect([...effectiveScopes(["admin"])].sort()).toEqual([
      "admin",
      "audio.create",
      "chat.create",
      "cron.manage",
      "embeddings.create",
      "memory.read",
      "memory.write",
      "models.read",
    ]);
    const chatOnly = effectiveScopes(["chat.create"]);
    expect(() => requireScope(chatOnly, "chat.create", "k1")).not.toThrow();
    expect(() => requireScope(chatOnly, "embeddings.create", "k1")).toThrow(
      expect.objectContaining({ kind: "permission", message: expect.stringContaining('"embeddings.create"') }),
    );
    expect(() => requireScope(chatOnly, "admin", "k1")).toThrow(/admin access/);
  });
});
