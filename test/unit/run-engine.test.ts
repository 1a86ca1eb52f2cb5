import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { ModelProviderConfig, ProviderConfig } from "../../src/config/schema.js";
import { adminCaller } from "../../src/identity/caller.js";
import { createProvider } from "../../src/providers/create-provider.js";
import { ModelRegistry } from "../../src/registry/model-registry.js";
import { ProviderCircuits } from "../../src/registry/provider-circuits.js";
import { ResponseCache } from "../../src/registry/response-cache.js";
import type { SucceededChat } from "../../src/runs/chat-succeeded.js";
import { RunEngine, type RunEngineDeps } from "../../src/runs/run-engine.js";
import type { RunEvent } from "../../src/runs/run-events.js";
import { GatewayError } from "../../src/shared/errors.js";
import type { ChatStreamEvent, ModelProvider } from "../../src/shared/model-types.js";
import type { RunInput } from "../../src/shared/run-input.js";
import { openSqliteStore, type Store } from "../../src/store/open-store.js";
import { findRun } from "../../src/store/runs-repository.js";

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

const registryConfig = (providers: Partial<ProviderConfig>[]): ModelProviderConfig =>
  ({
    failover_enabled: true,
    response_cache_enabled: false,
    providers: providers.map((p) => ({ kind: "deterministic", enabled: true, allow_private_base_url: false, ...p })),
    models: providers.map((p) => ({
      model_id: `${p.provider_id}-model`,
      provider_id: p.provider_id,
      role: "chat",
      enabled: true,
      tool_calls: true,
      json_mode: true,
      vision: false,
      max_context_tokens: 1000,
      cost_tier: 1,
      latency_tier: 1,
    })),
  }) as unknown as ModelProviderConfig;

/** A provider that streams one chunk and then fails, as an upstream dropping mid-stream would. */
const failingProvider: ModelProvider = {
  providerId: "broken",
  kind: "openai_compatible",
  async *streamChat(): AsyncIterable<ChatStreamEvent> {
    yield { type: "text", text: "partial " };
    throw new GatewayError("network", "upstream reset the connection");
  },
};

async function setUp(
  providers: Partial<ProviderConfig>[] = [{ provider_id: "fast" }, { provider_id: "slow", stream_chunk_delay_ms: 100 }],
  extra: Pick<RunEngineDeps, "onChatSucceeded" | "logger"> = { logger: pino({ level: "silent" }) },
) {
  const store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), "palyra-engine-")), "palyra.sqlite"));
  stores.push(store);
  const registry = new ModelRegistry(registryConfig(providers), (config) =>
    config.provider_id === "broken" ? failingProvider : createProvider(config, registryConfig([]), {}),
  );
  const circuits = new ProviderCircuits(() => ({ failureThreshold: 3, cooldownMs: 30_000 }));
  const cache = new ResponseCache({ enabled: false, ttlMs: 1000, maxEntries: 10 });
  const engine = new RunEngine({ store, registry, circuits, cache, ...extra });
  return { store, engine };
}

const input = (text: string, model?: string): RunInput => ({
  messages: [{ role: "user", parts: [{ type: "text", text }] }],
  tools: [],
  stop: [],
  metadata: {},
  ...(model !== undefined && { model }),
});

async function collect(events: AsyncIterable<RunEvent>, onEvent?: (event: RunEvent) => void): Promise<RunEvent[]> {
  const seen: RunEvent[] = [];
  for await (const event of events) {
    seen.push(event);
    onEvent?.(event);
  }
  return seen;
}

describe("RunEngine", () => {
  it("runs to completion and records the run before reporting its end", async () => {
    const { store, engine } = await setUp();
    const handle = await engine.start({ ...input("records are kept", "fast-model"), agentId: "agent-7" }, adminCaller);
    expect((await findRun(store.db, handle.runId))?.status).toBe("running");
    const events = await collect(handle.events);
    expect(events.map((event) => event.type)).toEqual(["accepted", "routing", "delta", "delta", "delta", "usage", "completed"]);
    const row = await findRun(store.db, handle.runId);
    expect(row).toMatchObject({ status: "succeeded", agent_id: "agent-7", model_id: "fast-model", finish_reason: "stop", usage_estimated: 0 });
    expect(row?.output_tokens).toBeGreaterThan(0);
    expect(engine.activeCount).toBe(0);
  });

  it("records a run whose upstream fails mid-stream as failed, with the error kind", async () => {
    const { store, engine } = await setUp([{ provider_id: "broken" }]);
    const handle = await engine.start(input("x", "broken-model"), adminCaller);
    const events = await collect(handle.events);
    const last = events.at(-1);
    expect(last?.type).toBe("failed");
    expect(last?.type === "failed" && last.error.kind).toBe("network");
    expect(await findRun(store.db, handle.runId)).toMatchObject({ status: "failed", error_kind: "network", error_message: "upstream reset the connection" });
  });

  it("cancels on request and records the cancellation", async () => {
    const { store, engine } = await setUp();
    const handle = await engine.start(input("one two three four five six", "slow-model"), adminCaller);
    const events = await collect(handle.events, (event) => {
      if (event.type === "delta") handle.cancel("stop please");
    });
    expect(events.at(-1)).toEqual({ type: "cancelled", reason: "stop please" });
    expect(await findRun(store.db, handle.runId)).toMatchObject({ status: "cancelled", error_message: "stop please" });
  });

  it("still records a run whose caller detached and stopped reading", async () => {
    const { store, engine } = await setUp();
    const handle = await engine.start(input("nobody is listening here", "slow-model"), adminCaller);
    handle.detach("client went away");
    const result = await engine.abort(handle.runId, "already detached", adminCaller);
    expect(result.status).toBe("cancelled");
    expect(await findRun(store.db, handle.runId)).toMatchObject({ status: "cancelled", error_message: "client went away" });
  });

  it("aborts by run id and reports finished runs as not aborted", async () => {
    const { engine } = await setUp();
    const slow = await engine.start(input("slow run to abort", "slow-model"), adminCaller);
    const consumed = collect(slow.events);
    expect(await engine.abort(slow.runId, "operator", adminCaller)).toEqual({ aborted: true, status: "cancelled" });
    expect((await consumed).at(-1)).toEqual({ type: "cancelled", reason: "operator" });

    const fast = await engine.start(input("quick", "fast-model"), adminCaller);
    await collect(fast.events);
    expect(await engine.abort(fast.runId, "late", adminCaller)).toEqual({ aborted: false, status: "succeeded" });
    await expect(engine.abort("unknown", "x", adminCaller)).rejects.toMatchObject({ kind: "not_found", param: "run_id" });
  });

  it("lets only a run's own caller (or the admin) abort it or learn its status", async () => {
    const { engine } = await setUp();
    const owner = { id: "key_owner", kind: "api_key" as const, scopes: new Set(["chat.create" as const]) };
    const stranger = { ...owner, id: "key_stranger" };
    const slow = await engine.start(input("a run somebody else wants to stop", "slow-model"), owner);
    const consumed = collect(slow.events);
    // Another key is told the run does not exist, exactly as for an unknown id.
    await expect(engine.abort(slow.runId, "mine now", stranger)).rejects.toMatchObject({ kind: "not_found", code: "run_not_found" });
    expect(await engine.abort(slow.runId, "the owner changed its mind", owner)).toEqual({ aborted: true, status: "cancelled" });
    expect((await consumed).at(-1)).toEqual({ type: "cancelled", reason: "the owner changed its mind" });
    await expect(engine.abort(slow.runId, "late", stranger)).rejects.toMatchObject({ kind: "not_found" });
    expect(await engine.abort(slow.runId, "late", adminCaller)).toEqual({ aborted: false, status: "cancelled" });
  });

  it("drains: lets runs finish within the grace period, cancels the rest, refuses new runs", async () => {
    const { store, engine } = await setUp();
    const fast = await engine.start(input("done in time", "fast-model"), adminCaller);
    const slow = await engine.start(input("a b c d e f g h i j k l", "slow-model"), adminCaller);
    const fastEvents = collect(fast.events);
    const slowEvents = collect(slow.events);
    await engine.drain(50);
    expect((await fastEvents).at(-1)?.type).toBe("completed");
    expect((await slowEvents).at(-1)).toEqual({ type: "cancelled", reason: "the daemon is shutting down" });
    expect((await findRun(store.db, slow.runId))?.status).toBe("cancelled");
    await expect(engine.start(input("late"), adminCaller)).rejects.toMatchObject({ kind: "unavailable", code: "shutting_down" });
  });

  it("refuses invalid input and unknown models before recording anything", async () => {
    const { store, engine } = await setUp();
    await expect(engine.start({ ...input("x"), messages: [] }, adminCaller)).rejects.toMatchObject({ kind: "invalid_request", param: "messages" });
    await expect(engine.start(input("x", "nope"), adminCaller)).rejects.toMatchObject({ kind: "not_found", param: "model" });
    const count = await store.db
      .selectFrom("runs")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
  });

  it("tells a succeeded chat run's listener after the run is recorded, and survives a listener that throws", async () => {
    const heard: SucceededChat[] = [];
    const logged: unknown[] = [];
    const logger = pino({ level: "error" }, { write: (line: string) => logged.push(JSON.parse(line)) });
    const { store, engine } = await setUp([{ provider_id: "fast" }, { provider_id: "broken" }], {
      logger,
      onChatSucceeded: (chat) => {
        heard.push(chat);
        throw new Error("listener broke");
      },
    });
    const handle = await engine.start({ ...input("remember this", "fast-model"), agentId: "agent-7" }, adminCaller);
    const events = await collect(handle.events);
    expect(events.at(-1)?.type).toBe("completed");
    expect(heard.map((chat) => [chat.runId, chat.input.agentId, chat.answer.text])).toEqual([[handle.runId, "agent-7", "remember this"]]);
    expect((await findRun(store.db, handle.runId))?.status).toBe("succeeded");
    expect(logged).toHaveLength(1);

    const failed = await engine.start(input("x", "broken-model"), adminCaller);
    await collect(failed.events);
    expect(heard).toHaveLength(1);
  });
});
