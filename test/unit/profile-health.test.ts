import { describe, expect, it } from "vitest";
import { classifyProfileHealth } from "../../src/identity/auth-profiles/profile-health.js";
import type { AuthProfile, OAuthCredential } from "../../src/identity/auth-profiles/profile-types.js";

const now = 1_700_000_000_000;
const minutes = (count: number) => count * 60_000;

const oauth = (patch: Partial<OAuthCredential> = {}): AuthProfile => ({
  profileId: "p",
  providerKind: "openai",
  name: "p",
  agentId: undefined,
  baseUrl: undefined,
  createdAt: now,
  updatedAt: now,
  generation: 0,
  credential: {
    kind: "oauth",
    oauthProvider: "test",
    accessTokenRef: "vault:a",
    refreshTokenRef: "vault:r",
    tokenEndpoint: "https://auth.example.test/token",
    clientId: "c",
    scopes: [],
    expiresAt: now + minutes(60),
    lastRefreshedAt: now,
    refreshFailures: 0,
    lastRefreshError: undefined,
    ...patch,
  },
});

const apiKey: AuthProfile = { ...oauth(), credential: { kind: "api_key", vaultRef: "vault:k" } };

describe("classifyProfileHealth", () => {
  it.each([
    ["an API key", apiKey, [], "static"],
    ["a token with an hour left", oauth(), [], "ok"],
    ["a token without expiry", oauth({ expiresAt: undefined }), [], "ok"],
    ["a token with 14 minutes left", oauth({ expiresAt: now + minutes(14) }), [], "expiring"],
    ["a token with exactly 15 minutes left", oauth({ expiresAt: now + minutes(15) }), [], "ok"],
    ["an expired token", oauth({ expiresAt: now - 1 }), [], "expired"],
    ["a token expiring now", oauth({ expiresAt: now }), [], "expired"],
    ["a failing refresh with time left", oauth({ refreshFailures: 2, lastRefreshError: "invalid_grant" }), [], "refresh_failed"],
    ["a failing refresh of an expired token", oauth({ expiresAt: now - 1, refreshFailures: 1, lastRefreshError: "x" }), [], "expired"],
    ["a missing refresh token secret", oauth(), ["vault:r"], "missing"],
    ["a missing API key", apiKey, ["vault:k"], "missing"],
  ] as const)("%s is %s", (_what, profile, missing, state) => {
    expect(classifyProfileHealth(profile, missing, now).state).toBe(state);
  });

  it("gives reasons that say what is wrong", () => {
    expect(classifyProfileHealth(oauth(), ["vault:r"], now).reason).toContain("vault:r");
    expect(classifyProfileHealth(oauth({ refreshFailures: 3, lastRefreshError: "invalid_grant" }), [], now).reason).toMatch(/3x.*invalid_grant/);
    expect(classifyProfileHealth(oauth({ expiresAt: now + minutes(5), refreshTokenRef: undefined }), [], now).reason).toContain("no refresh token");
    expect(classifyProfileHealth(oauth({ expiresAt: now - 1, refreshFailures: 1, lastRefreshError: "boom" }), [], now).reason).toContain("boom");
  });
});
