import { describe, expect, it } from "vitest";
import type { ModelProviderConfig } from "../../src/config/schema.js";
import type { CircuitSnapshot } from "../../src/registry/circuit-breaker.js";
import { ModelRegistry } from "../../src/registry/model-registry.js";
import { planCandidates, type RequestNeeds } from "../../src/registry/route-candidates.js";
import type { ModelProvider } from "../../src/shared/model-types.js";

const closed: CircuitSnapshot = { state: "closed", consecutiveFailures: 0, openedAt: undefined, retryAfterMs: 0 };
const open: CircuitSnapshot = { state: "open", consecutiveFailures: 3, openedAt: 1, retryAfterMs: 1000 };

function registry(): ModelRegistry {
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
    cost_tier: 5,
    latency_tier: 5,
    cache_unset_temperature: false,
    ...extra,
  });
  const config = {
    failover_enabled: true,
    response_cache_enabled: false,
    request_timeout_ms: 1000,
    max_retries: 0,
    retry_backoff_ms: 1,
    circuit_breaker_failure_threshold: 3,
    circuit_breaker_cooldown_ms: 1000,
    providers: [provider("a"), provider("b"), provider("c"), provider("local", "deterministic")],
    models: [
      model("a-large", "a"),
      model("a-mini", "a", { cost_tier: 0 }),
      model("b-cheap", "b", { cost_tier: 1, vision: false }),
      model("b-slow", "b", { cost_tier: 2, latency_tier: 9 }),
      model("b-fast", "b", { cost_tier: 2, latency_tier: 1 }),
      model("c-small-window", "c", { cost_tier: 1, max_context_tokens: 10 }),
      model("echo", "local", { cost_tier: 0 }),
    ],
  } as unknown as ModelProviderConfig;
  return new ModelRegistry(config, (p) => ({ providerId: p.provider_id, kind: p.kind }) as unknown as ModelProvider);
}

const needs = (overrides: Partial<RequestNeeds> = {}): RequestNeeds => ({
  tools: false,
  vision: false,
  jsonMode: false,
  contextTokens: () => 50,
  ...overrides,
});

function plan(options: { needs?: RequestNeeds; failover?: boolean; openProviders?: string[]; health?: Record<string, number> } = {}) {
  const models = registry();
  return planCandidates({
    registry: models,
    primary: models.resolve("a-large", "chat"),
    needs: options.needs ?? needs(),
    failover: options.failover ?? true,
    circuitOf: (id) => (options.openProviders?.includes(id) ? open : closed),
    healthRankOf: (id) => options.health?.[id] ?? 0,
  });
}

const kept = (candidates: ReturnType<typeof plan>) => candidates.filter((c) => c.kept).map((c) => c.model.modelId);

describe("planCandidates", () => {
  it("tries the requested model first, then other providers by cost then latency, the same provider last", () => {
    expect(kept(plan())).toEqual(["a-large", "b-cheap", "b-fast", "b-slow", "a-mini"]);
    expect(
      plan()
        .filter((c) => c.kept)
        .map((c) => c.order),
    ).toEqual([1, 2, 3, 4, 5]);
  });

  it("drops models that lack what the request needs, saying why", () => {
    const candidates = plan({ needs: needs({ vision: true }) });
    expect(kept(candidates)).not.toContain("b-cheap");
    expect(candidates.find((c) => c.model.modelId === "b-cheap")?.reason).toBe("no image inputs");
    expect(candidates.find((c) => c.model.modelId === "c-small-window")?.reason).toMatch(/context window of 10 tokens/);
    expect(candidates.find((c) => c.model.modelId === "echo")?.reason).toMatch(/deterministic/);
  });

  it("skips providers whose circuit is open, the requested one included", () => {
    const candidates = plan({ openProviders: ["a"] });
    expect(kept(candidates)).toEqual(["b-cheap", "b-fast", "b-slow"]);
    expect(candidates[0]).toMatchObject({ kept: false, order: 0 });
    expect(candidates[0]?.reason).toMatch(/circuit open/);
  });

  it("puts degraded providers after healthy ones", () => {
    // A prompt small enough for c's window: c (healthy, cost 1) comes before b (down), whatever b's tiers.
    const withC = planCandidates({
      registry: registry(),
      primary: registry().resolve("a-large", "chat"),
      needs: needs({ contextTokens: () => 5 }),
      failover: true,
      circuitOf: () => closed,
      healthRankOf: (id) => (id === "b" ? 2 : 0),
    });
    expect(kept(withC)).toEqual(["a-large", "c-small-window", "b-cheap", "b-fast", "b-slow", "a-mini"]);
  });

  it("decides context windows by the prompt's upper bound, counting only for a window below it", () => {
    let counted = 0;
    const counting = (tokens: number, upperBound: number) =>
      needs({
        contextTokens: () => {
          counted++;
          return tokens;
        },
        contextUpperBound: upperBound,
      });
    // Every window holds the bound: nothing is counted, every model is kept.
    expect(kept(plan({ needs: counting(8, 10) }))).toContain("c-small-window");
    expect(counted).toBe(0);
    // The bound passes c's 10-token window but the exact count fits it; a count past it drops c.
    expect(kept(plan({ needs: counting(10, 40) }))).toContain("c-small-window");
    expect(counted).toBeGreaterThan(0);
    const dropped = plan({ needs: counting(11, 40) }).find((candidate) => candidate.model.modelId === "c-small-window");
    expect(dropped?.reason).toBe("context window of 10 tokens is too small");
  });

  it("keeps only the requested model when failover is off", () => {
    const candidates = plan({ failover: false });
    expect(kept(candidates)).toEqual(["a-large"]);
    expect(candidates[1]?.reason).toBe("failover is off for this request");
  });
});
