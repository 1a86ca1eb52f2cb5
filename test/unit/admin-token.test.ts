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

  it("authenticates bearer headers exactly", () => {
    const access = new AccessControl("secret-token");
    expect(access.authenticate("Bearer secret-token")).toMatchObject({ id: "admin" });
    expect(access.authenticate("bearer secret-token").id).toBe("admin");
    expect(() => access.authenticate(undefined)).toThrow(/Missing bearer token/);
    expect(() => access.authenticate("Basic abc")).toThrow(/Malformed/);
    expect(() => access.authenticate("Bearer secret-token2")).toThrow(/Incorrect API key/);
    expect(tokensMatch("a", "a")).toBe(true);
    expect(tokensMatch("a", "ab")).toBe(false);
  });
});
