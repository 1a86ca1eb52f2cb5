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
import type { ChatStreamEvent, ModelProvider, Usage } from "../../src/shared/model-types.js";
import { openSqliteStore, type Store } from "../../src/store/open-store.js";
import { ManualClock } from "../helpers/manual-clock.js";

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

const config = {
  failover_enabled: false,
  response_cache_enabled: false,
  providers: [{ provider_id: "scripted", kind: "openai_compatible", enabled: true, allow_private_base_url: false }],
  models: [
    {
      model_id: "scripted-model",
      provider_id: "scripted",
      role: "chat",
      enabled: true,
      tool_calls: true,
      json_mode: false,
      vision: false,
      max_context_tokens: 100_000,
      cost_tier: 1,
      latency_tier: 1,
    },
  ],
} as unknown as ModelProviderConfig;

const usage: Usage = { inputTokens: 12, outputTokens: 5, cachedInputTokens: 0, cacheWriteTokens: 0, estimated: false };

/** A gate the scripted upstream waits at, telling the test when it got there. */
function gate() {
  let open!: () => void;
  let reached!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const arrived = new Promise<void>((resolve) => (reached = resolve));
  return { open, arrived, wait: () => (reached(), opened) };
}

describe("a chat run's progress", () => {
  it("moves with every upstream chunk: last chunk time, output characters, reported usage, and the prompt's tokens", async () => {
    const clock = new ManualClock(5_000_000);
    const afterText = gate();
    const afterUsage = gate();
    // Each chunk arrives a second after the one before, on the engine's clock.
    const provider: ModelProvider = {
      providerId: "scripted",
      kind: "openai_compatible",
      async *streamChat(): AsyncIterable<ChatStreamEvent> {
        clock.advance(1_000);
        yield { type: "text", text: "Hello" };
        clock.advance(1_000);
        yield { type: "tool_call", index: 0, id: "call_1", name: "lookup", argumentsFragment: '{"q":1}' };
        await afterText.wait();
        clock.advance(1_000);
        yield { type: "usage", usage };
        await afterUsage.wait();
        yield { type: "finish", reason: "tool_calls" };
      },
    };
    const store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), "palyra-progress-")), "palyra.sqlite"));
    stores.push(store);
    const engine = new RunEngine({
      store,
      registry: new ModelRegistry(config, () => provider),
      logger: pino({ level: "silent" }),
      circuits: new ProviderCircuits(() => ({ failureThreshold: 3, cooldownMs: 30_000 })),
      cache: new ResponseCache({ enabled: false, ttlMs: 1000, maxEntries: 10 }),
      now: clock.now,
    });
    const startedAt = clock.now();
    const handle = await engine.start(
      { messages: [{ role: "user", parts: [{ type: "text", text: "Say hello, then look something up." }] }], tools: [], stop: [], metadata: {} },
      adminCaller,
    );
    const progressOf = () => engine.inFlight().find((run) => run.runId === handle.runId)?.progress;

    await afterText.arrived;
    const midway = progressOf();
    expect(midway).toMatchObject({ startedAt, lastAt: startedAt + 2_000, outputChars: "Hello".length + '{"q":1}'.length, reported: undefined });
    // The prompt's tokens as admission knew them: at least the text's words, at most its UTF-8 bytes plus framing.
    expect(midway?.promptTokens).toBeGreaterThanOrEqual(8);
    expect(midway?.promptTokens).toBeLessThanOrEqual(100);

    afterText.open();
    await afterUsage.arrived;
    expect(progressOf()).toMatchObject({ lastAt: startedAt + 3_000, reported: usage });

    afterUsage.open();
    for await (const _event of handle.events);
    expect(engine.inFlight()).toEqual([]);
    expect(await engine.recorded(handle.runId)).toMatchObject({ status: "succeeded", output_tokens: 5 });
  });
});
