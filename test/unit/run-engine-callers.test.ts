import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { ModelProviderConfig } from "../../src/config/schema.js";
import { effectiveScopes } from "../../src/identity/api-keys/scopes.js";
import { adminCaller, type Caller } from "../../src/identity/caller.js";
import { createProvider } from "../../src/providers/create-provider.js";
import { ModelRegistry } from "../../src/registry/model-registry.js";
import { ProviderCircuits } from "../../src/registry/provider-circuits.js";
import { ResponseCache } from "../../src/registry/response-cache.js";
import { RunEngine } from "../../src/runs/run-engine.js";
import type { Usage } from "../../src/shared/model-types.js";
import { openSqliteStore, type Store } from "../../src/store/open-store.js";
import { findRun } from "../../src/store/runs-repository.js";

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

const config = {
  failover_enabled: false,
  response_cache_enabled: false,
  default_chat_model_id: "echo",
  default_embeddings_model_id: "embed",
  providers: [{ provider_id: "local", kind: "deterministic", enabled: true, allow_private_base_url: false }],
  models: [
    {
      model_id: "echo",
      provider_id: "local",
      role: "chat",
      enabled: true,
      tool_calls: false,
      json_mode: false,
      vision: false,
      max_context_tokens: 100_000,
      cost_tier: 1,
      latency_tier: 1,
    },
    {
      model_id: "embed",
      provider_id: "local",
      role: "embeddings",
      enabled: true,
      tool_calls: false,
      json_mode: false,
      vision: false,
      max_context_tokens: 100_000,
      cost_tier: 1,
      latency_tier: 1,
    },
  ],
} as unknown as ModelProviderConfig;

async function setUp() {
  const store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), "palyra-engine-callers-")), "palyra.sqlite"));
  stores.push(store);
  const registry = new ModelRegistry(config, (provider) => createProvider(provider, config, {}));
  const observed: { caller: Caller; usage: Usage }[] = [];
  const engine = new RunEngine({
    store,
    registry,
    logger: pino({ level: "silent" }),
    circuits: new ProviderCircuits(() => ({ failureThreshold: 3, cooldownMs: 30_000 })),
    cache: new ResponseCache({ enabled: false, ttlMs: 1000, maxEntries: 10 }),
    usageObserver: (caller, usage) => observed.push({ caller, usage }),
  });
  return { store, engine, observed };
}

const agentKey: Caller = { id: "0123456789ab", kind: "api_key", agentId: "bound-agent", scopes: effectiveScopes(["chat.create", "embeddings.create"]) };
const chat = (agentId?: string) => ({
  messages: [{ role: "user" as const, parts: [{ type: "text" as const, text: "count these tokens" }] }],
  tools: [],
  stop: [],
  metadata: {},
  ...(agentId !== undefined && { agentId }),
});

describe("RunEngine and its callers", () => {
  it("attributes runs of an agent-bound caller to its agent, whatever the request says", async () => {
    const { store, engine } = await setUp();
    const handle = await engine.start(chat("someone-else"), agentKey);
    for await (const _event of handle.events);
    expect(await findRun(store.db, handle.runId)).toMatchObject({ caller_id: "0123456789ab", agent_id: "bound-agent" });

    const embedded = await engine.embed({ inputs: ["a b c"], agentId: "someone-else" }, agentKey, new AbortController().signal);
    expect(await findRun(store.db, embedded.runId)).toMatchObject({ caller_id: "0123456789ab", agent_id: "bound-agent", run_kind: "embeddings" });

    const admin = await engine.start(chat("chosen-agent"), adminCaller);
    for await (const _event of admin.events);
    expect(await findRun(store.db, admin.runId)).toMatchObject({ caller_id: "admin", agent_id: "chosen-agent" });
  });

  it("reports each run's recorded usage with its caller before the run's end is seen", async () => {
    const { engine, observed } = await setUp();
    const handle = await engine.start(chat(), agentKey);
    for await (const event of handle.events) {
      if (event.type === "completed") {
        expect(observed).toHaveLength(1);
        expect(observed[0]?.caller).toBe(agentKey);
        expect(observed[0]?.usage).toEqual(event.usage);
      }
    }
    const embedded = await engine.embed({ inputs: ["one two"] }, agentKey, new AbortController().signal);
    expect(observed).toHaveLength(2);
    expect(observed[1]?.usage).toEqual(embedded.result.usage);
  });
});
