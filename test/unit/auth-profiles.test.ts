import { afterEach, describe, expect, it } from "vitest";
import { AuthProfiles } from "../../src/identity/auth-profiles/auth-profiles.js";
import { ProfileCredentials } from "../../src/identity/auth-profiles/profile-credentials.js";
import type { ApiKeyCheck } from "../../src/identity/auth-profiles/profile-types.js";
import type { TokenRefresher } from "../../src/identity/oauth/token-refresher.js";
import { GatewayError } from "../../src/shared/errors.js";
import type { Store } from "../../src/store/open-store.js";
import { authTestConfig, MemorySecretStore, manualClock, openTestStore } from "../helpers/auth-fixture.js";

const stores: Store[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

async function setUp(providers: Record<string, unknown>[] = []) {
  const store = await openTestStore();
  stores.push(store);
  const secrets = new MemorySecretStore();
  const checks: ApiKeyCheck[] = [];
  const config = authTestConfig({ model_provider: { providers } });
  const profiles = new AuthProfiles({
    db: store.db,
    secrets,
    modelProvider: config.model_provider,
    now: manualClock().now,
    validateKey: async (check) => {
      checks.push(check);
      if (check.apiKey === "bad-key") throw new GatewayError("invalid_request", "the provider refused the API key", { code: "api_key_rejected" });
      return ["m1", "m2"];
    },
  });
  const credentials = new ProfileCredentials({ db: store.db, secrets, refresher: {} as TokenRefresher });
  return { store, secrets, checks, profiles, credentials };
}

describe("AuthProfiles", () => {
  it("stores API keys in the vault and only references in the table", async () => {
    const { store, secrets, profiles } = await setUp();
    const { profile, health } = await profiles.set({ profileId: "main", providerKind: "openai", apiKey: "sk-secret-value-1" });
    expect(profile.credential).toMatchObject({ kind: "api_key", vaultRef: expect.stringMatching(/^vault:auth-profile\/main\//) });
    expect(health.state).toBe("static");
    expect([...secrets.values.values()]).toEqual(["sk-secret-value-1"]);
    const rows = await store.db.selectFrom("auth_profiles").selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain("sk-secret-value-1");
  });

  it("replaces a key, deleting the old secret, and deletes secrets with the profile", async () => {
    const { secrets, profiles } = await setUp();
    await profiles.set({ profileId: "main", providerKind: "openai", apiKey: "first" });
    await profiles.set({ profileId: "main", apiKey: "second", name: "renamed" });
    expect([...secrets.values.values()]).toEqual(["second"]);
    expect((await profiles.get("main")).profile.name).toBe("renamed");
    expect(await profiles.delete("main")).toBe(true);
    expect(secrets.values.size).toBe(0);
    expect(await profiles.delete("main")).toBe(false);
  });

  it("refuses a new profile without a credential, bad ids and unknown vault refs", async () => {
    const { profiles } = await setUp();
    await expect(profiles.set({ profileId: "p", providerKind: "openai" })).rejects.toThrow(/needs an API key/);
    await expect(profiles.set({ profileId: "bad id", providerKind: "openai", apiKey: "k" })).rejects.toThrow(/profile_id/);
    await expect(profiles.set({ profileId: "p", providerKind: "openai", apiKeyRef: "vault:nothing" })).rejects.toThrow(/no secret vault:nothing/);
  });

  it("reports a profile whose secret left the vault as missing", async () => {
    const { secrets, profiles } = await setUp();
    await profiles.set({ profileId: "main", providerKind: "anthropic", apiKey: "k" });
    secrets.values.clear();
    expect((await profiles.get("main")).health).toMatchObject({ state: "missing", reason: expect.stringContaining("vault:auth-profile/main/") });
  });

  it("gives an agent at most one profile per provider kind", async () => {
    const { profiles } = await setUp();
    await profiles.set({ profileId: "a1", providerKind: "openai", agentId: "agent-1", apiKey: "k1" });
    await expect(profiles.set({ profileId: "a2", providerKind: "openai", agentId: "agent-1", apiKey: "k2" })).rejects.toThrow(
      /already has the openai profile "a1"/,
    );
    await profiles.set({ profileId: "a3", providerKind: "anthropic", agentId: "agent-1", apiKey: "k3" });
    expect((await profiles.list({ agentId: "agent-1" })).map((view) => view.profile.profileId)).toEqual(["a1", "a3"]);
  });

  it("checks a key before saving it, with the bound provider's base URL and private allowance", async () => {
    const { checks, profiles } = await setUp([
      { provider_id: "local", kind: "openai_compatible", base_url: "http://127.0.0.1:9/v1/", allow_private_base_url: true, auth_profile_id: "local-key" },
    ]);
    const { view, modelCount } = await profiles.connectApiKey({ profileId: "local-key", providerKind: "openai_compatible", apiKey: " good-key " });
    expect(modelCount).toBe(2);
    expect(checks[0]).toMatchObject({ baseUrl: "http://127.0.0.1:9/v1", allowPrivate: true, apiKey: "good-key" });
    expect(view.profile.baseUrl).toBe("http://127.0.0.1:9/v1");

    await profiles.connectApiKey({ profileId: "public", providerKind: "openai", apiKey: "k" });
    expect(checks[1]).toMatchObject({ baseUrl: "https://api.openai.com/v1", allowPrivate: false });
    await profiles.connectApiKey({ profileId: "other", providerKind: "openai_compatible", apiKey: "k", baseUrl: "http://127.0.0.1:10/v1" });
    expect(checks[2]).toMatchObject({ allowPrivate: false });
  });

  it("saves nothing when the key is refused, and needs a base URL for openai_compatible", async () => {
    const { secrets, profiles } = await setUp();
    await expect(profiles.connectApiKey({ profileId: "p", providerKind: "openai", apiKey: "bad-key" })).rejects.toThrow(/refused/);
    await expect(profiles.get("p")).rejects.toThrow(/no auth profile/);
    expect(secrets.values.size).toBe(0);
    await expect(profiles.connectApiKey({ profileId: "p", providerKind: "openai_compatible", apiKey: "k" })).rejects.toThrow(/base_url/);
  });
});

describe("ProfileCredentials", () => {
  const binding = { providerId: "up", providerKind: "openai_compatible" as const, profileId: "global" };

  it("uses the agent's own profile for the bound kind, else the bound profile", async () => {
    const { profiles, credentials } = await setUp();
    await profiles.set({ profileId: "global", providerKind: "openai", apiKey: "global-key" });
    await profiles.set({ profileId: "agent-1-key", providerKind: "openai", agentId: "agent-1", apiKey: "agent-1-key-value" });
    await profiles.set({ profileId: "agent-2-anthropic", providerKind: "anthropic", agentId: "agent-2", apiKey: "other-kind" });
    expect(await credentials.credentialFor(binding, undefined)).toBe("global-key");
    expect(await credentials.credentialFor(binding, "agent-1")).toBe("agent-1-key-value");
    expect(await credentials.credentialFor(binding, "agent-2")).toBe("global-key");
  });

  it("refuses missing profiles, kind mismatches and another agent's profile", async () => {
    const { profiles, credentials } = await setUp();
    await expect(credentials.credentialFor(binding, undefined)).rejects.toThrow(/names no auth profile/);
    await profiles.set({ profileId: "global", providerKind: "anthropic", apiKey: "k" });
    await expect(credentials.credentialFor(binding, undefined)).rejects.toThrow(/is for anthropic/);
    await profiles.set({ profileId: "only-a", providerKind: "openai", agentId: "agent-a", apiKey: "k" });
    await expect(credentials.credentialFor({ ...binding, profileId: "only-a" }, "agent-b")).rejects.toThrow(/for agent "agent-a" only/);
    expect(await credentials.credentialFor({ ...binding, profileId: "only-a" }, "agent-a")).toBe("k");
  });
});
