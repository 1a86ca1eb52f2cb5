import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { AuthProfiles } from "../../src/identity/auth-profiles/auth-profiles.js";
import { OAuthLogins } from "../../src/identity/oauth/oauth-logins.js";
import type { CodeExchange, TokenClient } from "../../src/identity/oauth/token-client.js";
import type { Store } from "../../src/store/open-store.js";
import { authTestConfig, MemorySecretStore, manualClock, openTestStore } from "../helpers/auth-fixture.js";

const stores: Store[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

async function setUp() {
  const store = await openTestStore();
  stores.push(store);
  const clock = manualClock();
  const secrets = new MemorySecretStore();
  const config = authTestConfig();
  const exchanges: CodeExchange[] = [];
  const tokens: TokenClient = {
    exchangeCode: async (_client, exchange) => {
      exchanges.push(exchange);
      return { accessToken: `at-${exchanges.length}`, refreshToken: `rt-${exchanges.length}`, expiresInMs: 3_600_000, scope: "api" };
    },
    refresh: async () => {
      throw new Error("not used");
    },
  };
  const profiles = new AuthProfiles({ db: store.db, secrets, modelProvider: config.model_provider, now: clock.now, validateKey: keysAreNotChecked });
  const logins = new OAuthLogins({ db: store.db, secrets, profiles, auth: config.auth, tokens, env: {}, defaultRedirectUri: () => undefined, now: clock.now });
  return { store, clock, secrets, exchanges, logins };
}

describe("OAuthLogins", () => {
  it("builds the authorize URL with an S256 challenge of the verifier later sent with the code", async () => {
    const { exchanges, logins, secrets, store } = await setUp();
    const started = await logins.start({ oauthProvider: "test", profileId: "login", providerKind: "openai" });
    const url = new URL(started.authorizeUrl);
    expect(url.origin + url.pathname).toBe("https://auth.example.test/authorize");
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: "code",
      client_id: "palyra",
      redirect_uri: "http://127.0.0.1:7143/oauth/callback",
      scope: "api offline_access",
      state: started.state,
      code_challenge_method: "S256",
    });
    // Neither the state nor the verifier is stored in the clear.
    const attempts = await store.db.selectFrom("oauth_attempts").selectAll().execute();
    expect(JSON.stringify(attempts)).not.toContain(started.state);
    const verifier = [...secrets.values.values()][0] ?? "";
    expect(JSON.stringify(attempts)).not.toContain(verifier);

    const { profile, health } = await logins.complete(started.state, "the-code");
    expect(exchanges[0]?.codeVerifier).toBe(verifier);
    expect(createHash("sha256").update(verifier).digest("base64url")).toBe(url.searchParams.get("code_challenge"));
    expect(profile).toMatchObject({ profileId: "login", providerKind: "openai", credential: { kind: "oauth", oauthProvider: "test", scopes: ["api"] } });
    expect(health.state).toBe("ok");
    // The verifier is gone; the tokens are in the vault.
    expect([...secrets.values.values()].sort()).toEqual(["at-1", "rt-1"]);
  });

  it("accepts a state once", async () => {
    const { exchanges, logins } = await setUp();
    const { state } = await logins.start({ oauthProvider: "test", profileId: "login" });
    await logins.complete(state, "code");
    await expect(logins.complete(state, "code")).rejects.toThrow(/unknown or already used/);
    await expect(logins.complete("never-issued", "code")).rejects.toThrow(/unknown or already used/);
    expect(exchanges).toHaveLength(1);
  });

  it("lets a state expire after 10 minutes", async () => {
    const { clock, exchanges, logins, secrets } = await setUp();
    const early = await logins.start({ oauthProvider: "test", profileId: "early" });
    clock.advance(10 * 60_000 - 1);
    await logins.complete(early.state, "code");
    const late = await logins.start({ oauthProvider: "test", profileId: "late" });
    clock.advance(10 * 60_000);
    await expect(logins.complete(late.state, "code")).rejects.toThrow(/expired/);
    await expect(logins.complete(late.state, "code")).rejects.toThrow(/unknown or already used/);
    expect(exchanges).toHaveLength(1);
    expect([...secrets.values.keys()].filter((name) => name.startsWith("oauth-attempt/"))).toEqual([]);
  });

  it("sweeps logins nobody completed, with their verifiers", async () => {
    const { clock, logins, secrets } = await setUp();
    await logins.start({ oauthProvider: "test", profileId: "a" });
    await logins.start({ oauthProvider: "test", profileId: "b" });
    expect(await logins.sweepExpired()).toBe(0);
    clock.advance(10 * 60_000);
    expect(await logins.sweepExpired()).toBe(2);
    expect(secrets.values.size).toBe(0);
  });

  it("refuses unknown OAuth providers and provider kinds", async () => {
    const { logins } = await setUp();
    await expect(logins.start({ oauthProvider: "nope", profileId: "p" })).rejects.toThrow(/no \[auth\.oauth\.nope\].*configured: test/);
    await expect(logins.start({ oauthProvider: "test", profileId: "p", providerKind: "gemini" })).rejects.toThrow(/provider_kind/);
  });
});

/** These tests store OAuth profiles only; no API key is ever checked. */
async function keysAreNotChecked(): Promise<string[]> {
  throw new Error("no API key is checked in this test");
}
