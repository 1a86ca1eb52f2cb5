import { afterEach, describe, expect, it } from "vitest";
import { AuthProfiles } from "../../src/identity/auth-profiles/auth-profiles.js";
import { profileFromRow, profileToRow } from "../../src/identity/auth-profiles/profile-rows.js";
import type { AuthProfile, OAuthCredential } from "../../src/identity/auth-profiles/profile-types.js";
import { RefreshBackoff } from "../../src/identity/oauth/refresh-backoff.js";
import type { TokenClient, TokenSet } from "../../src/identity/oauth/token-client.js";
import { TokenRefresher } from "../../src/identity/oauth/token-refresher.js";
import { GatewayError } from "../../src/shared/errors.js";
import { findAuthProfile, updateAuthProfileAtGeneration, upsertAuthProfile } from "../../src/store/auth-profiles-repository.js";
import type { Store } from "../../src/store/open-store.js";
import { authTestConfig, MemorySecretStore, manualClock, openTestStore } from "../helpers/auth-fixture.js";

const stores: Store[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

/** A token client whose refreshes wait until the test settles them. */
function controllableTokens() {
  const calls: { refreshToken: string; settle: (result: TokenSet | Error) => void }[] = [];
  const tokens: TokenClient = {
    exchangeCode: async () => {
      throw new Error("not used");
    },
    refresh: (_client, refreshToken) =>
      new Promise<TokenSet>((resolve, reject) => {
        calls.push({ refreshToken, settle: (result) => (result instanceof Error ? reject(result) : resolve(result)) });
      }),
  };
  return { calls, tokens };
}

const granted = (n: number): TokenSet => ({ accessToken: `at-${n}`, refreshToken: `rt-${n}`, expiresInMs: 120_000, scope: undefined });

async function setUp() {
  const store = await openTestStore();
  stores.push(store);
  const clock = manualClock();
  const secrets = new MemorySecretStore();
  const { calls, tokens } = controllableTokens();
  const backoff = new RefreshBackoff({ initialMs: 1000, maxMs: 8000 }, clock.now);
  const refresher = new TokenRefresher({ db: store.db, secrets, tokens, auth: authTestConfig().auth, env: {}, backoff, now: clock.now });
  const addProfile = async (profileId: string, expiresInMs: number) => {
    await secrets.put(`auth-profile/${profileId}/0/access-token`, "at-0");
    await secrets.put(`auth-profile/${profileId}/0/refresh-token`, "rt-0");
    await upsertAuthProfile(
      store.db,
      profileToRow({
        profileId,
        providerKind: "openai",
        name: profileId,
        agentId: undefined,
        baseUrl: undefined,
        createdAt: clock.now(),
        updatedAt: clock.now(),
        credential: {
          kind: "oauth",
          oauthProvider: "test",
          accessTokenRef: `vault:auth-profile/${profileId}/0/access-token`,
          refreshTokenRef: `vault:auth-profile/${profileId}/0/refresh-token`,
          tokenEndpoint: "https://auth.example.test/token",
          clientId: "palyra",
          scopes: ["api"],
          expiresAt: clock.now() + expiresInMs,
          lastRefreshedAt: clock.now(),
          refreshFailures: 0,
          lastRefreshError: undefined,
        },
      }),
    );
  };
  const row = async (profileId: string) => (await findAuthProfile(store.db, profileId))!;
  /** Waits until the token client has been asked `count` times. */
  const refreshCalls = async (count: number) => {
    for (let turn = 0; turn < 1000 && calls.length < count; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toHaveLength(count);
  };
  return { store, clock, secrets, calls, backoff, refresher, addProfile, row, refreshCalls };
}

describe("TokenRefresher", () => {
  it("runs one refresh per profile at a time and saves the rotated refresh token", async () => {
    const { calls, refresher, addProfile, row, secrets, refreshCalls } = await setUp();
    await addProfile("p", 60_000);
    const first = refresher.refresh("p");
    const second = refresher.refresh("p");
    await refreshCalls(1);
    calls[0]?.settle(granted(1));
    const [a, b] = await Promise.all([first, second]);
    expect(a).toBe(b);
    expect(calls.map((call) => call.refreshToken)).toEqual(["rt-0"]);

    const saved = await row("p");
    expect(saved.generation).toBe(1);
    expect(await secrets.get(saved.refresh_token_ref!.slice(6))).toBe("rt-1");
    expect(await secrets.get(saved.access_token_ref!.slice(6))).toBe("at-1");
    // The replaced secrets are gone from the vault.
    expect([...secrets.values.values()].sort()).toEqual(["at-1", "rt-1"]);

    const third = refresher.refresh("p");
    await refreshCalls(2);
    expect(calls[1]?.refreshToken).toBe("rt-1");
    calls[1]?.settle(granted(2));
    await third;
  });

  it("never lets a stale failure overwrite a newer success", async () => {
    const { store, calls, refresher, addProfile, row, refreshCalls } = await setUp();
    await addProfile("p", 60_000);
    const slow = refresher.refresh("p");
    await refreshCalls(1);
    // Meanwhile a newer credential lands (a new login, another daemon on the same database).
    const before = await row("p");
    expect(await updateAuthProfileAtGeneration(store.db, "p", before.generation, { expires_at: 9e15, refresh_failures: 0 }, true)).toBe(true);
    calls[0]?.settle(new GatewayError("permanent", "invalid_grant"));
    await expect(slow).rejects.toThrow(/invalid_grant/);
    const after = await row("p");
    expect(after).toMatchObject({ refresh_failures: 0, last_refresh_error: null, expires_at: 9e15 });
  });

  it("drops a stale success too, keeping the newer credential and its secrets", async () => {
    const { store, calls, refresher, addProfile, row, secrets, refreshCalls } = await setUp();
    await addProfile("p", 60_000);
    const slow = refresher.refresh("p");
    await refreshCalls(1);
    const before = await row("p");
    await updateAuthProfileAtGeneration(store.db, "p", before.generation, { updated_at: 1 }, true);
    calls[0]?.settle(granted(1));
    await slow;
    const after = await row("p");
    expect(after.access_token_ref).toBe(before.access_token_ref);
    expect([...secrets.values.values()]).not.toContain("at-1");
  });

  it("keeps a refresh that finishes after the profile was only renamed", async () => {
    const { store, calls, refresher, addProfile, row, secrets, refreshCalls } = await setUp();
    await addProfile("p", 60_000);
    const profiles = new AuthProfiles({ db: store.db, secrets, modelProvider: authTestConfig().model_provider, validateKey: keysAreNotChecked });
    const pending = refresher.refresh("p");
    await refreshCalls(1);
    await profiles.set({ profileId: "p", name: "renamed" });
    calls[0]?.settle(granted(1));
    await pending;
    const after = await row("p");
    expect(after.name).toBe("renamed");
    expect(await secrets.get(after.refresh_token_ref!.slice(6))).toBe("rt-1");
  });

  it("records failures and backs off exponentially, per profile and per provider for endpoint trouble", async () => {
    const { clock, calls, refresher, addProfile, row, refreshCalls } = await setUp();
    await addProfile("p", 60_000);
    await addProfile("q", 60_000);
    const run = refresher.refreshDue();
    await refreshCalls(1);
    calls[0]?.settle(new GatewayError("transient", "token endpoint answered 503"));
    // q shares the provider, whose endpoint is failing: it waits too.
    expect(await run).toEqual({ refreshed: 0, failed: 1, skipped: 1 });
    expect(await row("p")).toMatchObject({ refresh_failures: 1, last_refresh_error: "token endpoint answered 503" });

    expect(await refresher.refreshDue()).toEqual({ refreshed: 0, failed: 0, skipped: 2 });
    clock.advance(1000);
    const second = refresher.refreshDue();
    await refreshCalls(2);
    calls[1]?.settle(new GatewayError("transient", "still down"));
    expect(await second).toMatchObject({ failed: 1, skipped: 1 });
    clock.advance(1999);
    expect(await refresher.refreshDue()).toEqual({ refreshed: 0, failed: 0, skipped: 2 });
    clock.advance(1);
    const third = refresher.refreshDue();
    await refreshCalls(3);
    calls[2]?.settle(granted(1));
    await refreshCalls(4);
    calls[3]?.settle(granted(2));
    expect(await third).toEqual({ refreshed: 2, failed: 0, skipped: 0 });
    expect(await row("p")).toMatchObject({ refresh_failures: 0, last_refresh_error: null });
  });

  it("backs off only the profile when its grant is refused", async () => {
    const { calls, refresher, addProfile, refreshCalls } = await setUp();
    await addProfile("p", 60_000);
    await addProfile("q", 60_000);
    const run = refresher.refreshDue();
    await refreshCalls(1);
    calls[0]?.settle(new GatewayError("permanent", "invalid_grant"));
    await refreshCalls(2);
    calls[1]?.settle(granted(1));
    expect(await run).toEqual({ refreshed: 1, failed: 1, skipped: 0 });
  });

  it("refreshes only profiles due within 5 minutes", async () => {
    const { calls, refresher, addProfile, refreshCalls } = await setUp();
    await addProfile("later", 5 * 60_000 + 1);
    await addProfile("due", 5 * 60_000);
    const run = refresher.refreshDue();
    await refreshCalls(1);
    calls[0]?.settle(granted(1));
    expect(await run).toEqual({ refreshed: 1, failed: 0, skipped: 0 });
  });

  it("refreshes an expired access token before handing it out", async () => {
    const { clock, calls, refresher, addProfile, row, refreshCalls } = await setUp();
    await addProfile("p", 60_000);
    const fresh = profileFromRow(await row("p")) as AuthProfile & { credential: OAuthCredential };
    expect(await refresher.accessToken(fresh)).toBe("at-0");
    // 30 seconds before expiry counts as expired: the token must not run out in flight.
    clock.advance(30_000);
    const pending = refresher.accessToken(fresh);
    await refreshCalls(1);
    calls[0]?.settle(granted(1));
    expect(await pending).toBe("at-1");
  });
});

/** These tests store OAuth profiles only; no API key is ever checked. */
async function keysAreNotChecked(): Promise<string[]> {
  throw new Error("no API key is checked in this test");
}
