import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/config-error.js";
import { loadConfig } from "../../src/config/load-config.js";
import { createProvider } from "../../src/providers/create-provider.js";
import { providerKindEntries } from "../../src/providers/index.js";
import {
  acceptsProfileKind,
  callsHttpUpstream,
  type ProviderKind,
  profileProviderKinds,
  providerKindForProfile,
  providerKinds,
} from "../../src/shared/provider-kinds.js";

// The provider kinds: one table in shared/ (what config accepts) and one map in providers/ (how each is built).
// Every kind in the map must get through palyra.toml's validation and build a provider of that kind.

function loadProviders(providerToml: string) {
  const dir = mkdtempSync(join(tmpdir(), "palyra-kinds-"));
  const file = join(dir, "palyra.toml");
  writeFileSync(file, `version = 1\n\n[[model_provider.providers]]\nprovider_id = "p"\n${providerToml}`);
  return loadConfig({ path: file, stateDir: dir, env: {}, cwd: dir }).config.model_provider;
}

const mappedKinds = Object.keys(providerKindEntries) as ProviderKind[];

function entryFor(kind: ProviderKind): string {
  // Nothing is connected to: building an HTTP provider checks the URL's shape and opens no socket.
  return callsHttpUpstream(kind)
    ? `kind = "${kind}"\nbase_url = "http://127.0.0.1:9/v1"\nallow_private_base_url = true\napi_key = "sk-test"\n`
    : `kind = "${kind}"\n`;
}

describe("provider kinds", () => {
  it("are the same in the config table and the registry map", () => {
    expect([...mappedKinds].sort()).toEqual([...providerKinds].sort());
  });

  it.each(mappedKinds)("%s is accepted by palyra.toml and builds a provider of that kind", (kind) => {
    const registry = loadProviders(entryFor(kind));
    const [config] = registry.providers;
    expect(config?.kind).toBe(kind);
    const provider = createProvider(config!, registry, {});
    expect(provider.providerId).toBe("p");
    expect(provider.kind).toBe(kind);
  });

  it.each(providerKinds.filter(callsHttpUpstream))("%s, an HTTP kind, needs a base_url", (kind) => {
    expect(() => loadProviders(`kind = "${kind}"\n`)).toThrow(/base_url: required for kind/);
  });

  it("refuses a kind that is not in the table, naming the key", () => {
    let error: unknown;
    try {
      loadProviders(`kind = "carrier_pigeon"\n`);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe("model_provider.providers[0].kind");
  });

  it("check an auth profile's key through the provider kind that speaks to its upstream", () => {
    const checkedAs = Object.fromEntries(profileProviderKinds.map((profileKind) => [profileKind, providerKindForProfile(profileKind)]));
    expect(checkedAs).toEqual({ openai: "openai_compatible", anthropic: "anthropic", openai_compatible: "openai_compatible" });
    for (const profileKind of profileProviderKinds) expect(acceptsProfileKind(providerKindForProfile(profileKind), profileKind)).toBe(true);
    expect(profileProviderKinds.some((profileKind) => acceptsProfileKind("deterministic", profileKind))).toBe(false);
  });
});
