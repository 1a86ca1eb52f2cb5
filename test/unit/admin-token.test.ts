import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AccessControl } from "../../src/identity/access.js";
import { adminTokenFileName, loadOrCreateAdminToken, readAdminToken, tokensMatch } from "../../src/identity/admin-token.js";

describe("admin token", () => {
  it("is generated once into the state directory with mode 0600", () => {
    const dir = mkdtempSync(join(tmpdir(), "palyra-token-"));
    const first = loadOrCreateAdminToken(dir, {});
    expect(first).toMatch(/^plk_admin_[\w-]{40,}$/);
    expect(statSync(join(dir, adminTokenFileName)).mode & 0o777).toBe(0o600);
    expect(loadOrCreateAdminToken(dir, {})).toBe(first);
    expect(readAdminToken(dir, {})).toBe(first);
  });

  it("comes from PALYRA_ADMIN_TOKEN when set", () => {
    const dir = mkdtempSync(join(tmpdir(), "palyra-token-"));
    expect(loadOrCreateAdminToken(dir, { PALYRA_ADMIN_TOKEN: "from-env" })).toBe("from-env");
    expect(readAdminToken(dir, {})).toBeUndefined();
  });

  it("authenticates bearer headers exactly", async () => {
    const access = new AccessControl("secret-token");
    await expect(access.authenticate("Bearer secret-token")).resolves.toMatchObject({ id: "admin", kind: "admin" });
    expect((await access.authenticate("bearer secret-token")).id).toBe("admin");
    await expect(access.authenticate(undefined)).rejects.toThrow(/Missing bearer token/);
    await expect(access.authenticate("Basic abc")).rejects.toThrow(/Malformed/);
    await expect(access.authenticate("Bearer secret-token2")).rejects.toThrow(/Incorrect API key/);
    expect(tokensMatch("a", "a")).toBe(true);
    expect(tokensMatch("a", "ab")).toBe(false);
  });
});
