import { describe, expect, it } from "vitest";
import type { ModelProviderConfig, SmartRoutingConfig } from "../../src/config/schema.js";
import { ComplexityRouter, type ComplexityRouterDeps } from "../../src/governance/routing/smart-router.js";
import type { BudgetQuery } from "../../src/governance/run-governance.js";
import { adminCaller } from "../../src/identity/caller.js";
import type { CircuitSnapshot } from "../../src/registry/circuit-breaker.js";
import { ModelRegistry } from "../../src/registry/model-registry.js";
import { GatewayError } from "../../src/shared/errors.js";
import type { ContentPart, ModelProvider, ToolDefinition } from "../../src/shared/model-types.js";
import type { RunInput } from "../../src/shared/run-input.js";
import { promptTokenCounter } from "../../src/shared/tokens.js";

const closed: CircuitSnapshot = { state: "closed", consecutiveFailures: 0, openedAt: undefined, retryAfterMs: 0 };
const open: CircuitSnapshot = { state: "open", consecutiveFailures: 3, openedAt: 1, retryAfterMs: 1000 };

function registry(options: { defaultModel?: string; extraModels?: Record<string, unknown>[] } = {}): ModelRegistry {
  const provider = (id: string, kind = "openai_compatible") => ({
    provider_id: id,
    kind,
    enabled: true,
    allow_private_base_url: false,
    base_url: "https://x.test/v1",
  });
  const model = (id: string, providerId: string, extra: Record<string, unknown> = {}) => ({
    model_id: id,
    provider_id: providerId,
    role: "chat",
    enabled: true,
    tool_calls: true,
    json_mode: true,
    vision: true,
    max_context_tokens: 100_000,
    cost_tier: 3,
    latency_tier: 3,
    cache_unset_temperature: false,
    ...extra,
  });
  const config = {
    default_chat_model_id: options.defaultModel ?? "mid",
    failover_enabled: true,
    response_cache_enabled: false,
    request_timeout_ms: 1000,
    max_retries: 0,
    retry_backoff_ms: 1,
    circuit_breaker_failure_threshold: 3,
    circuit_breaker_cooldown_ms: 1000,
    providers: [provider("a"), provider("b"), provider("c"), provider("local", "deterministic")],
    models: [
      // The cheapest, but text only and with a small window.
      model("mini", "a", { cost_tier: 1, latency_tier: 1, vision: false, max_context_tokens: 2_000 }),
      model("small", "b", { cost_tier: 2, latency_tier: 2 }),
      model("mid", "a", { cost_tier: 3 }),
      model("large-slow", "a", { cost_tier: 5, latency_tier: 8 }),
      model("large-fast", "c", { cost_tier: 5, latency_tier: 2 }),
      model("echo", "local", { cost_tier: 0 }),
      model("embed", "a", { role: "embeddings", cost_tier: 0 }),
      ...(options.extraModels ?? []).map((extra) => model(String(extra.model_id), String(extra.provider_id), extra)),
    ],
  } as unknown as ModelProviderConfig;
  return new ModelRegistry(config, (p) => ({ providerId: p.provider_id, kind: p.kind }) as unknown as ModelProvider);
}

const smartConfig = (overrides: Partial<SmartRoutingConfig> = {}): SmartRoutingConfig => ({
  enabled: true,
  mode: "suggest",
  low_threshold: 0.3,
  high_threshold: 0.7,
  ...overrides,
});

function router(overrides: Partial<ComplexityRouterDeps> & { health?: Record<string, number>; openProviders?: string[] } = {}): ComplexityRouter {
  const { health, openProviders, ...deps } = overrides;
  return new ComplexityRouter({
    config: smartConfig(),
    registry: registry(),
    healthRankOf: (id) => health?.[id] ?? 0,
    circuits: { snapshot: (id) => (openProviders?.includes(id) ? open : closed) },
    ...deps,
  });
}

const tool = (name: string): ToolDefinition => ({ name, parametersJson: '{"type":"object"}' });
const image: ContentPart = { type: "image", url: "https://images.test/chart.png" };

function run(text: string, extra: Partial<RunInput> & { images?: number } = {}): RunInput {
  const { images = 0, ...rest } = extra;
  return {
    messages: [{ role: "user", parts: [{ type: "text", text }, ...Array.from({ length: images }, () => image)] }],
    tools: [],
    stop: [],
    metadata: {},
    ...rest,
  };
}

// Scores: the greeting 0, the comparison 0.4 (three reasoning cues), the review 0.75 or more.
const greeting = (extra: Partial<RunInput> & { images?: number } = {}) => run("hi there", extra);
const comparison = (extra: Partial<RunInput> = {}) => run("Analyze and compare the two designs step by step.", extra);
const review = (extra: Partial<RunInput> = {}) =>
  run("Analyze this chart and the logs, compare the two designs step by step, and explain why one fails.", {
    images: 2,
    tools: [tool("search"), tool("sql"), tool("plot")],
    responseFormat: { kind: "json_schema", name: "verdict", schemaJson: "{}", strict: true },
    ...extra,
  });

const decide = async (smart: ComplexityRouter, input: RunInput) =>
  smart.decide(input, { caller: adminCaller, promptTokens: await promptTokenCounter(input.messages, input.tools) });
const enforced = (input: RunInput) => ({ ...input, routingMode: "enforced" });

describe("ComplexityRouter: which model it recommends", () => {
  it("recommends the cheapest capable model for a simple request", async () => {
    const decision = await decide(router(), enforced(greeting()));
    expect(decision.complexity).toBeLessThanOrEqual(0.3);
    expect(decision.recommendedModelId).toBe("mini");
    expect(decision.reason).toMatch(/cheapest capable model/);
  });

  it("skips cheaper models that lack a capability or a large enough window", async () => {
    expect((await decide(router(), enforced(greeting({ images: 1 })))).recommendedModelId).toBe("small");
    const long = run("lorem ipsum ".repeat(1_000));
    const decision = await decide(router(), enforced(long));
    expect(decision.complexity).toBeLessThanOrEqual(0.3);
    expect(decision.recommendedModelId).toBe("small");
  });

  it("recommends the strongest capable model for a demanding request, the faster one on a tie", async () => {
    const decision = await decide(router(), enforced(review()));
    expect(decision.complexity).toBeGreaterThanOrEqual(0.7);
    expect(decision.recommendedModelId).toBe("large-fast");
    expect(decision.reason).toMatch(/strongest capable model/);
  });

  it("recommends the default model in the middle band", async () => {
    const decision = await decide(router(), enforced(comparison()));
    expect(decision.complexity).toBeGreaterThan(0.3);
    expect(decision.complexity).toBeLessThan(0.7);
    expect(decision.recommendedModelId).toBe("mid");
  });

  it("prefers healthy providers with closed circuits", async () => {
    expect((await decide(router({ health: { a: 1 } }), enforced(greeting()))).recommendedModelId).toBe("small");
    expect((await decide(router({ openProviders: ["c"] }), enforced(review()))).recommendedModelId).toBe("large-slow");
    // The default's provider is down: the nearest tier elsewhere stands in.
    expect((await decide(router({ health: { a: 2 } }), enforced(comparison()))).recommendedModelId).toBe("small");
    // Everything is unhealthy: still the best of what there is.
    expect((await decide(router({ health: { a: 2, b: 2, c: 2 } }), enforced(greeting()))).recommendedModelId).toBe("mini");
  });

  it("prefers models within the caller's budget, asking only as far as needed", async () => {
    const asked: string[] = [];
    const withinBudget = async (query: BudgetQuery) => {
      const modelId = query.models[0]?.modelId ?? "";
      asked.push(modelId);
      // The query carries the request's worst case on that one model.
      expect(query.models).toHaveLength(1);
      expect(query.projectTokens(query.models[0]!).input).toBeGreaterThan(0);
      return modelId !== "mini";
    };
    const thrifty = await decide(router({ withinBudget }), enforced(greeting()));
    expect(thrifty.recommendedModelId).toBe("small");
    expect(thrifty.reason).toMatch(/the cheapest capable model within budget \(mini would pass a budget's hard limit\)/);
    expect(asked).toEqual(["mini", "small"]);
    const broke = await decide(router({ withinBudget: async () => false }), enforced(greeting()));
    expect(broke.recommendedModelId).toBe("mini");
    expect(broke.reason).toMatch(/over budget/);
  });

  it("leaves deterministic models out unless the request would be served by one anyway", async () => {
    expect((await decide(router(), enforced(greeting()))).recommendedModelId).not.toBe("echo");
    const local = router({ registry: registry({ defaultModel: "echo" }) });
    expect((await decide(local, enforced(greeting()))).recommendedModelId).toBe("echo");
  });

  it("recommends nothing when no model can serve the request", async () => {
    // About 120k tokens: more than any model's window.
    const decision = await decide(router(), enforced(run("lorem ipsum ".repeat(60_000))));
    expect(decision.recommendedModelId).toBeUndefined();
    expect(decision.overrideModelId).toBeUndefined();
    expect(decision.reason).toMatch(/no enabled chat model can serve/);
  });
});

describe("ComplexityRouter: modes", () => {
  it("is off when smart routing is disabled and the request asks for no mode", async () => {
    const decision = await decide(router({ config: smartConfig({ enabled: false }) }), greeting());
    expect(decision).toMatchObject({ mode: "off", recommendedModelId: undefined, overrideModelId: undefined, dryRunChange: "" });
  });

  it("uses the configured mode when enabled, and the request's own mode over it", async () => {
    expect((await decide(router({ config: smartConfig({ mode: "dry_run" }) }), greeting())).mode).toBe("dry_run");
    expect((await decide(router({ config: smartConfig({ mode: "dry_run" }) }), greeting({ routingMode: "suggest" }))).mode).toBe("suggest");
    expect((await decide(router({ config: smartConfig({ enabled: false }) }), greeting({ routingMode: "enforced" }))).mode).toBe("enforced");
    expect((await decide(router({ config: smartConfig({ mode: "enforced" }) }), greeting({ routingMode: "off" }))).mode).toBe("off");
  });

  it("suggest: recommends but keeps the requested or default model", async () => {
    const decision = await decide(router(), greeting({ routingMode: "suggest" }));
    expect(decision).toMatchObject({ mode: "suggest", recommendedModelId: "mini", overrideModelId: undefined, dryRunChange: "" });
    expect(decision.reason).toMatch(/suggest: the run keeps mid/);
  });

  it("enforced: overrides only a request that left the model to the gateway", async () => {
    for (const model of [undefined, "", "auto", " auto "]) {
      const decision = await decide(router(), greeting({ routingMode: "enforced", ...(model !== undefined && { model }) }));
      expect(decision, `model ${JSON.stringify(model)}`).toMatchObject({ mode: "enforced", recommendedModelId: "mini", overrideModelId: "mini" });
    }
    const named = await decide(router(), greeting({ routingMode: "enforced", model: "large-slow" }));
    expect(named).toMatchObject({ mode: "enforced", recommendedModelId: "mini", overrideModelId: undefined });
    expect(named.reason).toMatch(/keeps the requested model large-slow, which the request named/);
  });

  it("dry_run: keeps the model and says what enforcement would have changed", async () => {
    const cheap = await decide(router(), greeting({ routingMode: "dry_run" }));
    expect(cheap).toMatchObject({
      mode: "dry_run",
      recommendedModelId: "mini",
      overrideModelId: undefined,
      dryRunChange: "enforced would use mini instead of mid",
    });
    const same = await decide(router(), comparison({ routingMode: "dry_run" }));
    expect(same).toMatchObject({ recommendedModelId: "mid", dryRunChange: "" });
    expect(same.reason).toMatch(/would change nothing/);
    const named = await decide(router(), greeting({ routingMode: "dry_run", model: "mid" }));
    expect(named).toMatchObject({ recommendedModelId: "mini", dryRunChange: "" });
  });

  it("refuses an unknown mode, naming the allowed ones", async () => {
    const error = await decide(router(), greeting({ routingMode: "aggressive" })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ kind: "invalid_request", param: "routing_mode" });
    expect((error as Error).message).toMatch(/"aggressive".*off, suggest, dry_run, enforced/);
  });

  it("accepts a mode in any case and with spaces around it", async () => {
    expect((await decide(router(), greeting({ routingMode: " Dry_Run " }))).mode).toBe("dry_run");
  });
});
