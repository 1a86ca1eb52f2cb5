import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MemoryMaintenance, type MemoryMaintenanceDeps } from "../../src/memory/memory-maintenance.js";
import { putVectors } from "../../src/store/memory-repository.js";
import { openSqliteStore, type Store } from "../../src/store/open-store.js";
import { ManualClock } from "../helpers/manual-clock.js";
import { insertMemoryItem, memoryIdsOf } from "../helpers/memory-rows.js";

// Memory maintenance over a real SQLite store with an injected clock: expiry, caps by items and by
// bytes (oldest first), vectors going with their items, and the slower optimisation schedule.

const start = Date.parse("2026-05-01T00:00:00Z");
const never = new AbortController().signal;
let store: Store;
let clock: ManualClock;

function maintenance(overrides: Partial<MemoryMaintenanceDeps> = {}): MemoryMaintenance {
  return new MemoryMaintenance({
    db: store.db,
    now: clock.now,
    maxItems: 1000,
    maxBytes: 1_000_000,
    vacuumIntervalMs: 3_600_000,
    embeddingsModelId: () => "embed-a",
    batchSize: 3,
    ...overrides,
  });
}

async function vectorFor(memoryId: string, agentId: string, modelId = "embed-a"): Promise<void> {
  await putVectors(store.db, [{ memoryId, modelId, agentId, vector: [1, 1], embeddedAt: clock.now() }]);
}

async function vectorCount(): Promise<number> {
  const row = await store.db
    .selectFrom("memory_vectors")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

async function ftsMatches(word: string): Promise<number> {
  const result = await sql<{ n: number }>`select count(*) as n from memory_fts where memory_fts match ${word}`.execute(store.db);
  return Number(result.rows[0]?.n ?? 0);
}

beforeEach(async () => {
  store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), "palyra-memory-maint-")), "palyra.sqlite"));
  clock = new ManualClock(start);
});

afterEach(async () => {
  await store.close();
});

describe("memory maintenance", () => {
  it("deletes items once their TTL has passed, with their vectors and index entries, in batches", async () => {
    const expiring: string[] = [];
    for (let index = 0; index < 7; index++) {
      expiring.push(await insertMemoryItem(store.db, { agentId: "a", text: `ephemeral note ${index}`, createdAt: start, expiresAt: start + 60_000 }));
    }
    const kept = await insertMemoryItem(store.db, { agentId: "a", text: "lasting note", createdAt: start, expiresAt: start + 3_600_000 });
    for (const id of [...expiring, kept]) await vectorFor(id, "a");
    const job = maintenance();

    expect((await job.run(never)).expired).toBe(0);
    clock.advance(60_000);
    const report = await job.run(never);

    expect(report.expired).toBe(7);
    expect(report.before).toMatchObject({ items: 8, vectors: 8 });
    expect(report.after).toMatchObject({ items: 1, vectors: 1 });
    expect(report.message).toMatch(/before: 8 items.*expired 7.*after: 1 items/);
    expect(await memoryIdsOf(store.db, "a")).toEqual([kept]);
    expect(await ftsMatches("ephemeral")).toBe(0);
    expect(await ftsMatches("lasting")).toBe(1);
  });

  it("caps each agent at max_items, removing its oldest items first and leaving other agents alone", async () => {
    const ids: string[] = [];
    for (let index = 0; index < 10; index++)
      ids.push(await insertMemoryItem(store.db, { agentId: "busy", text: `busy note ${index}`, createdAt: start + index }));
    const quiet = await insertMemoryItem(store.db, { agentId: "quiet", text: "quiet note", createdAt: start - 1000 });
    for (const id of ids) await vectorFor(id, "busy");

    const report = await maintenance({ maxItems: 4 }).run(never);

    expect(report.capped).toBe(6);
    expect(await memoryIdsOf(store.db, "busy")).toEqual(ids.slice(6));
    expect(await memoryIdsOf(store.db, "quiet")).toEqual([quiet]);
    expect(await vectorCount()).toBe(4);
  });

  it("caps each agent at max_bytes, oldest first", async () => {
    // Five items of 10 bytes each, created out of insertion order: age decides, not insertion.
    const newest = await insertMemoryItem(store.db, { agentId: "a", text: "eeeeeeeeee", createdAt: start + 5 });
    await insertMemoryItem(store.db, { agentId: "a", text: "aaaaaaaaaa", createdAt: start + 1 });
    await insertMemoryItem(store.db, { agentId: "a", text: "bbbbbbbbbb", createdAt: start + 2 });
    await insertMemoryItem(store.db, { agentId: "a", text: "cccccccccc", createdAt: start + 3 });
    const fourth = await insertMemoryItem(store.db, { agentId: "a", text: "dddddddddd", createdAt: start + 4 });

    const report = await maintenance({ maxBytes: 25 }).run(never);

    expect(report.capped).toBe(3);
    expect(await memoryIdsOf(store.db, "a")).toEqual([fourth, newest]);
    expect(report.after.bytes).toBe(20);
  });

  it("removes vectors of another embeddings model and vectors whose item is gone", async () => {
    const item = await insertMemoryItem(store.db, { agentId: "a", text: "note", createdAt: start });
    await vectorFor(item, "a", "embed-a");
    await vectorFor(item, "a", "embed-old");
    await vectorFor("mem_gone", "a", "embed-a");

    const report = await maintenance().run(never);

    expect(report.unusedVectors).toBe(2);
    const left = await store.db.selectFrom("memory_vectors").select(["memory_id", "model_id"]).execute();
    expect(left).toEqual([{ memory_id: item, model_id: "embed-a" }]);
  });

  it("optimises the store on its own slower schedule", async () => {
    const job = maintenance({ vacuumIntervalMs: 3_600_000 });
    expect((await job.run(never)).optimized).toBe(true);
    clock.advance(300_000);
    expect((await job.run(never)).optimized).toBe(false);
    clock.advance(3_300_000);
    const report = await job.run(never);
    expect(report.optimized).toBe(true);
    expect(report.message).toContain("optimised");
  });

  it("stops between batches when aborted", async () => {
    for (let index = 0; index < 10; index++) await insertMemoryItem(store.db, { agentId: "a", text: `old ${index}`, createdAt: start, expiresAt: start });
    const controller = new AbortController();
    controller.abort("stopping");
    await expect(maintenance().run(controller.signal)).rejects.toBe("stopping");
    // The first batch went; the rest waits for the next tick.
    expect((await memoryIdsOf(store.db, "a")).length).toBe(7);
  });
});
