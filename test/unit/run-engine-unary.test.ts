import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { ModelProviderConfig } from "../../src/config/schema.js";
import { adminCaller } from "../../src/identity/caller.js";
import { ModelRegistry } from "../../src/registry/model-registry.js";
import { ProviderCircuits } from "../../src/registry/provider-circuits.js";
import { ResponseCache } from "../../src/registry/response-cache.js";
import { RunEngine } from "../../src/runs/run-engine.js";
import { GatewayError } from "../../src/shared/errors.js";
import type { EmbeddingsRequest, EmbeddingsResult, ModelProvider } from "../../src/shared/model-types.js";
import { openSqliteStore, type Store } from "../../src/store/open-store.js";

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

const model = (modelId: string, providerId: string) => ({
  model_id: modelId,
  provider_id: providerId,
  role: "embeddings",
  enabled: true,
  tool_calls: false,
  json_mode: false,
  vision: false,
  max_context_tokens: 100_000,
  cost_tier: 1,
  latency_tier: 1,
});
const config = {
  failover_enabled: false,
  response_cache_enabled: false,
  providers: ["held", "refusing"].map((id) => ({ provider_id: id, kind: "openai_compatible", enabled: true, allow_private_base_url: false })),
  models: [model("held-embed", "held"), model("refusing-embed", "refusing")],
} as unknown as ModelProviderConfig;

/** Embeds nothing until its caller's signal aborts; tells the test when the call is under way. */
function heldProvider(started: () => void): ModelProvider {
  return {
    providerId: "held",
    kind: "openai_compatible",
    streamChat: () => ({ [Symbol.asyncIterator]: () => ({ next: async () => ({ done: true, value: undefined }) }) }),
    embed: (_request: EmbeddingsRequest, signal: AbortSignal) =>
      new Promise<EmbeddingsResult>((_resolve, reject) => {
        signal.addEventListener("abort", () => reject(signal.reason), { once: true });
        started();
      }),
  };
}

const refusingProvider: ModelProvider = {
  providerId: "refusing",
  kind: "openai_compatible",
  streamChat: heldProvider(() => {}).streamChat,
  embed: async () => {
    throw new GatewayError("rate_limit", "slow down", { retryAfterMs: 1000 });
  },
};

async function setUp() {
  const store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), "palyra-engine-unary-")), "palyra.sqlite"));
  stores.push(store);
  let markStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const registry = new ModelRegistry(config, (provider) => (provider.provider_id === "held" ? heldProvider(markStarted) : refusingProvider));
  const engine = new RunEngine({
    store,
    registry,
    logger: pino({ level: "silent" }),
    circuits: new ProviderCircuits(() => ({ failureThreshold: 3, cooldownMs: 30_000 })),
    cache: new ResponseCache({ enabled: false, ttlMs: 1000, maxEntries: 10 }),
  });
  const onlyRun = async () => (await store.db.selectFrom("runs").selectAll().execute())[0];
  return { engine, started, onlyRun };
}

describe("unary runs end as chat runs do", () => {
  it("a caller that goes away cancels the run, which is recorded cancelled and tracked until then", async () => {
    const { engine, started, onlyRun } = await setUp();
    const caller = new AbortController();
    const embedded = engine.embed({ model: "held-embed", inputs: ["wait for me"] }, adminCaller, caller.signal);
    await started;
    expect(engine.activeCount).toBe(1);
    expect((await onlyRun())?.status).toBe("running");
    caller.abort();
    await expect(embedded).rejects.toMatchObject({ kind: "cancelled", message: "the client disconnected" });
    expect(await onlyRun()).toMatchObject({ status: "cancelled", error_kind: "cancelled", error_message: "the client disconnected", model_id: "held-embed" });
    expect(engine.activeCount).toBe(0);
  });

  it("an upstream refusal fails the run with its kind, recorded before the caller hears of it", async () => {
    const { engine, onlyRun } = await setUp();
    await expect(engine.embed({ model: "refusing-embed", inputs: ["x"] }, adminCaller, new AbortController().signal)).rejects.toMatchObject({
      kind: "rate_limit",
      message: "slow down",
    });
    expect(await onlyRun()).toMatchObject({ status: "failed", error_kind: "rate_limit", error_message: "slow down", attempts: 1, provider_id: "refusing" });
  });

  it("AbortRun cancels a one-shot run and reports it cancelled once recorded", async () => {
    const { engine, started, onlyRun } = await setUp();
    const embedded = engine.embed({ model: "held-embed", inputs: ["abort me"] }, adminCaller, new AbortController().signal);
    await started;
    const runId = (await onlyRun())?.run_id ?? "";
    expect(await engine.abort(runId, "operator", adminCaller)).toEqual({ aborted: true, status: "cancelled" });
    await expect(embedded).rejects.toMatchObject({ kind: "cancelled", message: "operator" });
  });
});
