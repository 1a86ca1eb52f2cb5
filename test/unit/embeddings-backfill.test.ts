import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Caller } from "../../src/identity/caller.js";
import { EmbeddingsBackfill } from "../../src/memory/embeddings-backfill.js";
import { blobToVector } from "../../src/memory/vector-blob.js";
import type { EmbedInput } from "../../src/runs/unary-input.js";
import { GatewayError } from "../../src/shared/errors.js";
import { countAwaitingEmbedding } from "../../src/store/memory-repository.js";
import { openSqliteStore, type Store } from "../../src/store/open-store.js";
import { ManualClock } from "../helpers/manual-clock.js";
import { insertMemoryItem } from "../helpers/memory-rows.js";

// The backfill over a real SQLite store with an engine that records each embeddings call: batch
// sizes, the caller, the vectors stored, failures retried with backoff, budget refusals skipped.

const start = Date.parse("2026-05-01T00:00:00Z");
const never = new AbortController().signal;
let store: Store;
let clock: ManualClock;

/** An engine whose embed() records its calls and answers 3-dimension vectors (or throws `failWith`). */
class RecordingEngine {
  readonly calls: { input: EmbedInput; caller: Caller }[] = [];
  failWith: GatewayError | undefined;
  /** Calls that still succeed before failWith applies. */
  succeedFirst = 0;

  async embed(input: EmbedInput, caller: Caller) {
    this.calls.push({ input, caller });
    if (this.failWith && this.succeedFirst-- <= 0) throw this.failWith;
    const vectors = input.inputs.map((_, index) => [3, 4, index]);
    return {
      runId: `run-${this.calls.length}`,
      resolved: undefined as never,
      result: { vectors, usage: { inputTokens: input.inputs.length * 2, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, estimated: false } },
      cost: { costUsd: 0.01, costEstimated: false },
    };
  }
}

let engine: RecordingEngine;

function backfill(modelId = "embed-a", maxBatchesPerTick = 16): EmbeddingsBackfill {
  return new EmbeddingsBackfill({ db: store.db, engine, now: clock.now, embeddingsModelId: () => modelId, batchSize: 64, maxBatchesPerTick });
}

async function addItems(count: number, prefix = "note"): Promise<void> {
  for (let index = 0; index < count; index++)
    await insertMemoryItem(store.db, { agentId: `agent-${index % 3}`, text: `${prefix} number ${index}`, createdAt: start + index });
}

beforeEach(async () => {
  store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), "palyra-backfill-")), "palyra.sqlite"));
  clock = new ManualClock(start);
  engine = new RecordingEngine();
});

afterEach(async () => {
  await store.close();
});

describe("embeddings backfill", () => {
  it("embeds what has no vector in batches of 64, as system:memory, storing unit Float32 vectors", async () => {
    await addItems(130);
    const report = await backfill().run(never);

    expect(engine.calls.map((call) => call.input.inputs.length)).toEqual([64, 64, 2]);
    expect(new Set(engine.calls.map((call) => call.caller.id))).toEqual(new Set(["system:memory"]));
    expect(engine.calls.every((call) => call.input.model === "embed-a")).toBe(true);
    expect(report).toMatchObject({ embedded: 130, batches: 3, usage: { inputTokens: 260 } });
    expect(report.costUsd).toBeCloseTo(0.03);
    expect(report.message).toContain("embedded 130 items in 3 batches");
    expect(await countAwaitingEmbedding(store.db, "embed-a")).toBe(0);

    const row = await store.db.selectFrom("memory_vectors").selectAll().limit(1).executeTakeFirstOrThrow();
    expect(row.dimensions).toBe(3);
    expect(row.vector.byteLength).toBe(12);
    const vector = blobToVector(row.vector);
    expect(Math.hypot(...vector)).toBeCloseTo(1, 5);

    // Nothing left: the next tick makes no call.
    await backfill().run(never);
    expect(engine.calls).toHaveLength(3);
  });

  it("spreads a long backlog over ticks, a bounded number of batches each", async () => {
    await addItems(200);
    await backfill("embed-a", 2).run(never);
    expect(await countAwaitingEmbedding(store.db, "embed-a")).toBe(72);
  });

  it("fails a tick whose batch fails, keeps what earlier batches embedded, and retries next tick, then backs off", async () => {
    await addItems(70);
    const job = backfill();
    engine.failWith = new GatewayError("unavailable", "upstream returned 503");
    engine.succeedFirst = 1;
    await expect(job.run(never)).rejects.toMatchObject({ kind: "unavailable", message: expect.stringContaining("retried on a later tick") });
    expect(engine.calls).toHaveLength(2);
    expect(await countAwaitingEmbedding(store.db, "embed-a")).toBe(6);

    // The next tick tries again (and fails again): after two failures in a row it sits out one tick.
    await expect(job.run(never)).rejects.toMatchObject({ kind: "unavailable" });
    expect(engine.calls).toHaveLength(3);
    engine.failWith = undefined;
    expect(await job.run(never)).toMatchObject({ skippedReason: "backoff" });
    expect(engine.calls).toHaveLength(3);

    expect(await job.run(never)).toMatchObject({ embedded: 6, batches: 1 });
    // Success resets the backoff: a later failure is retried on the very next tick.
    await addItems(1, "later");
    engine.failWith = new GatewayError("unavailable", "upstream returned 503");
    await expect(job.run(never)).rejects.toMatchObject({ kind: "unavailable" });
    engine.failWith = undefined;
    expect(await job.run(never)).toMatchObject({ embedded: 1 });
  });

  it("reports a budget refusal as skipped, reason budget_exceeded, with the budget's words, and asks again next tick", async () => {
    await addItems(5);
    const job = backfill();
    engine.failWith = new GatewayError("budget_exceeded", 'budget policy "global-cap" (global, daily, 100 tokens) would be exceeded');
    const report = await job.run(never);
    expect(report).toMatchObject({ skippedReason: "budget_exceeded", embedded: 0 });
    expect(report.message).toContain('budget policy "global-cap"');
    engine.failWith = undefined;
    expect(await job.run(never)).toMatchObject({ embedded: 5 });
  });

  it("re-embeds every item after the embeddings model changes", async () => {
    await addItems(10);
    await backfill("embed-a").run(never);
    expect(await countAwaitingEmbedding(store.db, "embed-b")).toBe(10);
    const report = await backfill("embed-b").run(never);
    expect(report.embedded).toBe(10);
    expect(engine.calls.at(-1)?.input.model).toBe("embed-b");
    expect(await countAwaitingEmbedding(store.db, "embed-b")).toBe(0);
  });

  it("one backfill reads the embeddings model at each run, so a config reload's new default is followed without a restart", async () => {
    await addItems(4);
    let current = "embed-a";
    const job = new EmbeddingsBackfill({ db: store.db, engine, now: clock.now, embeddingsModelId: () => current, batchSize: 64, maxBatchesPerTick: 16 });
    await job.run(never);
    current = "embed-b";
    const report = await job.run(never);
    expect(report.embedded).toBe(4);
    expect(engine.calls.map((call) => call.input.model)).toEqual(["embed-a", "embed-b"]);
    expect(await countAwaitingEmbedding(store.db, "embed-b")).toBe(0);
  });

  it("fails a batch whose answer has the wrong number of vectors, storing none of it", async () => {
    await addItems(3);
    const short = new RecordingEngine();
    short.embed = async (input, caller) => {
      const answer = await RecordingEngine.prototype.embed.call(short, input, caller);
      return { ...answer, result: { ...answer.result, vectors: answer.result.vectors.slice(1) } };
    };
    engine = short;
    await expect(backfill().run(never)).rejects.toMatchObject({ kind: "malformed_response" });
    expect(await countAwaitingEmbedding(store.db, "embed-a")).toBe(3);
  });
});
