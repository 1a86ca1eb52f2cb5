import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { configSchema } from "../../src/config/schema.js";
import { adminCaller, type Caller } from "../../src/identity/caller.js";
import { MemoryJournal, type QueryEmbedder } from "../../src/memory/memory-journal.js";
import { GatewayError } from "../../src/shared/errors.js";
import { putVectors } from "../../src/store/memory-repository.js";
import { openSqliteStore, type Store } from "../../src/store/open-store.js";

// The journal over a real SQLite file: dedupe, validation naming the field, access between agents
// and keys, expiry, lexical and semantic search with vectors put through the repository.

const memoryConfig = configSchema.parse({ version: 1, memory: { max_item_bytes: 64 } }).memory;
const boundKey = (agentId: string): Caller => ({ id: `key_${agentId}`, kind: "api_key", agentId, scopes: new Set(["memory.read", "memory.write"]) });
const unboundKey: Caller = { id: "key_any", kind: "api_key", scopes: new Set(["memory.read", "memory.write"]) };

/** Vectors chosen by hand: a text's vector is looked up here (the query's too). */
const vectors: Record<string, number[]> = {
  "cats purr": [1, 0, 0],
  "kittens meow": [0.9, 0.1, 0],
  "stock prices fell": [0, 0, 1],
  "feline sounds": [0.95, 0.05, 0],
};
const embedder: QueryEmbedder = {
  embed: async (input) => ({
    runId: "run_test",
    resolved: undefined as never,
    result: {
      vectors: input.inputs.map((text) => vectors[text] ?? [0, 1, 0]),
      usage: { inputTokens: 1, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, estimated: false },
    },
    cost: { costUsd: 0, costEstimated: false },
  }),
};

let store: Store;
let clock: number;
let journal: MemoryJournal;
const signal = new AbortController().signal;

beforeEach(async () => {
  store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), "palyra-memory-")), "palyra.sqlite"));
  clock = 1_000_000;
  journal = new MemoryJournal({ db: store.db, config: memoryConfig, embedder, embeddingsModelId: () => "test-embed", now: () => clock });
});

afterEach(async () => {
  await store.close();
});

const retain = (caller: Caller, agentId: string, text: string, more: { tags?: string[]; ttlMs?: number; sessionId?: string } = {}) =>
  journal.retain(caller, { agentId, sessionId: more.sessionId ?? "", text, tags: more.tags ?? [], ttlMs: more.ttlMs ?? 0, source: undefined });

async function refusal(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

async function embedAll(agentId: string): Promise<void> {
  const { items } = await journal.list(adminCaller, { agentId, sessionId: "", tags: [], pageSize: 0, pageToken: "" });
  await putVectors(
    store.db,
    items.map((item) => ({ memoryId: item.memoryId, agentId, modelId: "test-embed", vector: vectors[item.text] ?? [0, 1, 0], embeddedAt: clock })),
  );
}

describe("the memory journal", () => {
  it("keeps one item per text per agent, and a separate one for another agent", async () => {
    const first = await retain(adminCaller, "a", "cats purr");
    const again = await retain(adminCaller, "a", "cats purr", { tags: ["x"] });
    const other = await retain(adminCaller, "b", "cats purr");
    expect(first.created).toBe(true);
    expect(again).toEqual({ item: first.item, created: false });
    expect(other.created).toBe(true);
    expect(other.item.memoryId).not.toBe(first.item.memoryId);
    expect((await journal.status(adminCaller, "a")).items).toBe(1);
  });

  it("names the field a retain gets wrong", async () => {
    expect((await refusal(retain(adminCaller, "", "x"))).param).toBe("agent_id");
    expect((await refusal(retain(adminCaller, "a".repeat(257), "x"))).param).toBe("agent_id");
    expect((await refusal(retain(adminCaller, "a", "  "))).param).toBe("text");
    expect((await refusal(retain(adminCaller, "a", "é".repeat(33)))).message).toContain("max_item_bytes");
    expect((await refusal(retain(adminCaller, "a", "x", { tags: Array.from({ length: 33 }, (_, i) => `t${i}`) }))).param).toBe("tags");
    expect((await refusal(retain(adminCaller, "a", "x", { tags: ["ok", ""] }))).param).toBe("tags[1]");
    expect((await refusal(retain(adminCaller, "a", "x", { tags: ["t".repeat(65)] }))).param).toBe("tags[0]");
    expect((await refusal(retain(adminCaller, "a", "x", { ttlMs: 11 * 365 * 24 * 3_600_000 }))).param).toBe("ttl_ms");
    const run = journal.retain(adminCaller, { agentId: "a", sessionId: "", text: "x", tags: [], ttlMs: 0, source: "run" });
    expect((await refusal(run)).param).toBe("source");
    const search = journal.search(adminCaller, { agentId: "a", query: "x", k: 101, mode: "lexical", tags: [], sessionId: "" }, signal);
    expect((await refusal(search)).param).toBe("k");
  });

  it("keeps a bound key to its own agent, and lets an unbound key name any", async () => {
    const theirs = await retain(adminCaller, "b", "stock prices fell");
    const refused = await refusal(retain(boundKey("a"), "b", "cats purr"));
    expect(refused.kind).toBe("permission");
    expect(refused.message).toContain('"b"');
    expect((await retain(boundKey("a"), "", "cats purr")).item.agentId).toBe("a");
    expect((await refusal(journal.get(boundKey("a"), theirs.item.memoryId))).kind).toBe("not_found");
    expect((await refusal(journal.delete(boundKey("a"), theirs.item.memoryId))).kind).toBe("not_found");
    expect((await journal.get(unboundKey, theirs.item.memoryId)).text).toBe("stock prices fell");
    expect((await refusal(journal.list(unboundKey, { agentId: "", sessionId: "", tags: [], pageSize: 0, pageToken: "" }))).param).toBe("agent_id");
    const all = await journal.list(adminCaller, { agentId: "", sessionId: "", tags: [], pageSize: 0, pageToken: "" });
    expect(all.items.map((item) => item.agentId).sort()).toEqual(["a", "b"]);
  });

  it("finds by words, never another agent's item nor an expired one", async () => {
    await retain(adminCaller, "a", "cats purr");
    await retain(adminCaller, "a", "stock prices fell", { ttlMs: 1000 });
    await retain(adminCaller, "b", "cats purr loudly");
    const search = (query: string) => journal.search(adminCaller, { agentId: "a", query, k: 0, mode: "lexical", tags: [], sessionId: "" }, signal);
    expect((await search('cats OR "NEAR(')).hits.map((hit) => hit.item.text)).toEqual(["cats purr"]);
    expect((await search("prices")).hits.map((hit) => hit.item.text)).toEqual(["stock prices fell"]);
    clock += 1000;
    expect((await search("prices")).hits).toEqual([]);
    expect((await search("*:^()")).hits).toEqual([]);
  });

  it("ranks by meaning once items have vectors, and combines both in hybrid", async () => {
    for (const text of ["cats purr", "kittens meow", "stock prices fell"]) await retain(adminCaller, "a", text);
    const search = (query: string, mode: "semantic" | "hybrid") =>
      journal.search(adminCaller, { agentId: "a", query, k: 0, mode, tags: [], sessionId: "" }, signal);
    expect((await search("feline sounds", "semantic")).hits).toEqual([]);
    await embedAll("a");
    const semantic = await search("feline sounds", "semantic");
    expect(semantic.hits.map((hit) => hit.item.text)).toEqual(["cats purr", "kittens meow"]);
    expect(semantic.hits[0]?.item.embeddingModelId).toBe("test-embed");
    const hybrid = await search("cats purr", "hybrid");
    expect(hybrid.hits.map((hit) => [hit.item.text, hit.matchedBy])).toEqual([
      ["cats purr", "hybrid"],
      ["kittens meow", "semantic"],
    ]);
  });

  it("filters by tags and session, and pages newest first", async () => {
    for (let index = 0; index < 5; index++) {
      clock += 1;
      await retain(adminCaller, "a", `note ${index}`, { tags: index % 2 === 0 ? ["even", "n"] : ["n"], sessionId: index < 2 ? "s1" : "s2" });
    }
    const list = (more: { tags?: string[]; sessionId?: string; pageToken?: string; pageSize?: number }) =>
      journal.list(adminCaller, {
        agentId: "a",
        sessionId: more.sessionId ?? "",
        tags: more.tags ?? [],
        pageSize: more.pageSize ?? 0,
        pageToken: more.pageToken ?? "",
      });
    expect((await list({ tags: ["even", "n"] })).items.map((item) => item.text)).toEqual(["note 4", "note 2", "note 0"]);
    expect((await list({ sessionId: "s1" })).items.map((item) => item.text)).toEqual(["note 1", "note 0"]);
    const first = await list({ pageSize: 2 });
    const second = await list({ pageSize: 2, pageToken: first.nextPageToken });
    const third = await list({ pageSize: 2, pageToken: second.nextPageToken });
    expect([...first.items, ...second.items, ...third.items].map((item) => item.text)).toEqual(["note 4", "note 3", "note 2", "note 1", "note 0"]);
    const tagged = await journal.search(adminCaller, { agentId: "a", query: "note", k: 10, mode: "lexical", tags: ["even"], sessionId: "s2" }, signal);
    expect(tagged.hits.map((hit) => hit.item.text).sort()).toEqual(["note 2", "note 4"]);
  });

  it("deletes an item with its vectors, and counts what awaits an embedding", async () => {
    const kept = await retain(adminCaller, "a", "cats purr");
    await retain(adminCaller, "a", "kittens meow");
    expect((await journal.status(adminCaller, "a")).awaitingEmbedding).toBe(2);
    await embedAll("a");
    expect(await journal.status(adminCaller, "a")).toMatchObject({ items: 2, awaitingEmbedding: 0, embeddingModelId: "test-embed" });
    expect(await journal.delete(adminCaller, kept.item.memoryId)).toBe(true);
    expect((await refusal(journal.get(adminCaller, kept.item.memoryId))).kind).toBe("not_found");
    const rows = await store.db.selectFrom("memory_vectors").select("memory_id").execute();
    expect(rows.map((row) => row.memory_id)).not.toContain(kept.item.memoryId);
  });
});
