import { describe, expect, it } from "vitest";
import { configSchema, type ModelProviderConfig, type ProviderConfig } from "../../src/config/schema.js";
import { buildRegistryTables, ModelRegistry, type RegisteredModel } from "../../src/registry/model-registry.js";
import { ProviderCircuits } from "../../src/registry/provider-circuits.js";
import type { ModelProvider } from "../../src/shared/model-types.js";

function registryConfig(modelProvider: Record<string, unknown>): ModelProviderConfig {
  return configSchema.parse({ version: 1, model_provider: modelProvider }).model_provider;
}

const providers = [
  { provider_id: "a", kind: "deterministic" },
  { provider_id: "b", kind: "deterministic" },
];
const models = [
  { model_id: "a-chat", provider_id: "a" },
  { model_id: "b-chat", provider_id: "b" },
];
let built = 0;
const createClient = (provider: ProviderConfig) => {
  built += 1;
  return { name: `${provider.provider_id}#${built}` } as unknown as ModelProvider;
};
const discovered = (modelId: string, providerId: string): RegisteredModel =>
  ({
    ...new ModelRegistry(registryConfig({ providers, models }), createClient).listModels()[0],
    modelId,
    providerId,
    discovered: true,
  }) as RegisteredModel;

describe("reloading the registry", () => {
  it("keeps unchanged providers' clients and their discovered models, rebuilds changed ones, and names them", () => {
    const registry = new ModelRegistry(registryConfig({ providers, models }), createClient);
    const [clientA, clientB] = ["a", "b"].map((id) => registry.getProvider(id)?.client);
    registry.addDiscoveredModel(discovered("a-found", "a"));
    registry.addDiscoveredModel(discovered("b-found", "b"));

    const next = registryConfig({
      default_chat_model_id: "b-chat",
      providers: [providers[0], { provider_id: "b", kind: "deterministic", stream_chunk_delay_ms: 5 }, { provider_id: "c", kind: "deterministic" }],
      models,
    });
    const rebuilt = registry.replaceTables(buildRegistryTables(next, createClient, registry));

    expect(rebuilt.sort()).toEqual(["b", "c"]);
    expect(registry.getProvider("a")?.client).toBe(clientA);
    expect(registry.getProvider("b")?.client).not.toBe(clientB);
    expect(registry.defaults.chatModelId).toBe("b-chat");
    // A rebuilt provider may list other models: what discovery found on it goes until it runs again.
    expect(registry.listModels().map((model) => model.modelId)).toEqual(["a-chat", "b-chat", "a-found"]);
  });

  it("resolves a model to the tables in force, while a resolution made before keeps its provider", () => {
    const registry = new ModelRegistry(registryConfig({ providers, models }), createClient);
    const before = registry.resolve("b-chat", "chat");
    registry.replaceTables(buildRegistryTables(registryConfig({ providers: [providers[0]], models: [models[0]] }), createClient, registry));
    expect(() => registry.resolve("b-chat", "chat")).toThrow(/does not exist/);
    expect(before.provider.providerId).toBe("b");
  });

  it("circuits of forgotten providers start afresh with the settings then in force", () => {
    let threshold = 3;
    const circuits = new ProviderCircuits(() => ({ failureThreshold: threshold, cooldownMs: 1000 }));
    const first = circuits.get("a");
    threshold = 1;
    expect(circuits.get("a")).toBe(first);
    circuits.forget(["a"]);
    const fresh = circuits.get("a");
    expect(fresh).not.toBe(first);
  });
});
