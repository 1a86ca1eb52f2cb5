import { describe, expect, it } from "vitest";
import { configSchema } from "../../src/config/schema.js";
import { discoverModels } from "../../src/registry/model-discovery.js";
import { ModelRegistry } from "../../src/registry/model-registry.js";
import { ProviderHealth } from "../../src/registry/provider-health.js";
import { GatewayError } from "../../src/shared/errors.js";
import type { ModelProvider } from "../../src/shared/model-types.js";

/** "up" lists three models, one of which it already serves under another id; "local" lists none. */
function registry(listed: () => Promise<string[]>): ModelRegistry {
  const config = configSchema.parse({
    version: 1,
    model_provider: {
      providers: [
        { provider_id: "up", kind: "openai_compatible", base_url: "http://127.0.0.1:9/v1" },
        { provider_id: "local", kind: "deterministic" },
      ],
      models: [
        { model_id: "fast", provider_id: "up", upstream_model: "gpt-small", tool_calls: true },
        { model_id: "up/taken", provider_id: "local" },
      ],
    },
  });
  return new ModelRegistry(
    config.model_provider,
    (provider): ModelProvider => ({
      providerId: provider.provider_id,
      kind: provider.kind,
      async *streamChat() {
        yield { type: "text", text: "unused" };
      },
      ...(provider.kind !== "deterministic" && { listModels: listed }),
    }),
  );
}

describe("discoverModels", () => {
  it("adds the listed models the provider does not serve yet, as discovered chat models with no capabilities", async () => {
    const models = registry(async () => ["gpt-small", "gpt-large", "taken", "gpt-large"]);
    const [result, ...others] = await discoverModels(models);
    expect(others).toEqual([]);
    expect(result).toMatchObject({ providerId: "up", outcome: "ok", upstreamModels: ["gpt-small", "gpt-large", "taken", "gpt-large"] });
    // "gpt-small" is served as "fast"; the id "up/taken" belongs to a configured model.
    expect(result?.addedModelIds).toEqual(["up/gpt-large"]);
    expect(models.findUsableModel("up/gpt-large")).toEqual({
      modelId: "up/gpt-large",
      providerId: "up",
      upstreamModel: "gpt-large",
      role: "chat",
      enabled: true,
      capabilities: { toolCalls: false, jsonMode: false, vision: false },
      maxContextTokens: 128_000,
      costTier: 5,
      latencyTier: 5,
      discovered: true,
      cacheUnsetTemperature: false,
      maxOutputTokens: 4096,
    });
    expect(models.resolve("up/gpt-large", "chat").provider.providerId).toBe("up");
    expect(models.findUsableModel("up/taken")?.discovered).toBe(false);

    const again = await discoverModels(models);
    expect(again[0]?.addedModelIds).toEqual([]);
  });

  it("adds nothing when the listing fails, and records the provider's health", async () => {
    const models = registry(() => Promise.reject(new GatewayError("auth", "bad key")));
    const health = new ProviderHealth();
    const [result] = await discoverModels(models, health, "up");
    expect(result).toMatchObject({ outcome: "auth_failed", detail: "bad key", addedModelIds: [] });
    expect(health.stateOf("up").state).toBe("down");
    expect(models.listModels().map((model) => model.modelId)).toEqual(["fast", "up/taken"]);
  });

  it("answers not_applicable for a provider with no listing, and NOT_FOUND for an unknown one", async () => {
    const models = registry(async () => []);
    expect((await discoverModels(models, undefined, "local"))[0]?.outcome).toBe("not_applicable");
    await expect(discoverModels(models, undefined, "nope")).rejects.toMatchObject({ kind: "not_found", param: "provider_id" });
  });
});
