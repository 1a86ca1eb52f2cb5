import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { combineHybrid } from "../../src/memory/hybrid-score.js";
import { capturedText, clipBytes } from "../../src/memory/run-capture.js";
import { semanticScan, unitQuery } from "../../src/memory/semantic-scan.js";
import { TopHits } from "../../src/memory/top-hits.js";
import { findMemoryItem, insertMemoryItem, putVectors } from "../../src/store/memory-repository.js";
import { ftsExpression, maxQueryTerms } from "../../src/store/memory-search-repository.js";
import { openSqliteStore } from "../../src/store/open-store.js";

describe("the full-text expression of a query", () => {
  it("quotes every word and joins them with OR, so no FTS5 syntax is interpreted", () => {
    expect(ftsExpression("blue door")).toBe('"blue" OR "door"');
    expect(ftsExpression('NEAR(a b) OR text:x* ^start "quoted" -not')).toBe('"NEAR" OR "a" OR "b" OR "OR" OR "text" OR "x" OR "start" OR "quoted" OR "not"');
    expect(ftsExpression("Über café 東京")).toBe('"Über" OR "café" OR "東京"');
  });

  it("has nothing to search for in punctuation alone, and bounds the number of terms", () => {
    expect(ftsExpression(' *:^()" ')).toBeUndefined();
    const many = Array.from({ length: 100 }, (_, index) => `w${index}`).join(" ");
    expect(ftsExpression(many)?.split(" OR ")).toHaveLength(maxQueryTerms);
  });
});

describe("semantic ranking in SQLite (sqlite-vec)", () => {
  it("scores stored unit vectors against a unit query chunk by chunk, skipping other dimensions and other agents", async () => {
    const store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), "palyra-semantic-")), "palyra.sqlite"));
    try {
      const vectors: [string, string, number[]][] = [
        ["same", "a", [6, 8]],
        ["close", "a", [4, 3]],
        ["orthogonal", "a", [-4, 3]],
        ["opposite", "a", [-3, -4]],
        ["three-dims", "a", [1, 2, 3]],
        ["other-agent", "b", [3, 4]],
      ];
      for (const [index, [memoryId, agentId, vector]] of vectors.entries()) {
        const text = memoryId;
        await insertMemoryItem(store.db, {
          memory_id: memoryId,
          agent_id: agentId,
          session_id: null,
          source: "manual",
          run_id: null,
          text,
          content_hash: memoryId,
          tags: "[]",
          bytes: text.length,
          expires_at: null,
          created_at: index,
        });
        await putVectors(store.db, [{ memoryId, agentId, modelId: "m", vector, embeddedAt: 0 }]);
      }
      const keyOf = async (memoryId: string) => (await findMemoryItem(store.db, memoryId))?.item_key;
      // A chunk of 2 makes the scan walk three chunks of agent a's five items.
      const hits = await semanticScan(store.db, { agentId: "a", modelId: "m", query: unitQuery([3, 4]), k: 10, chunkSize: 2, liveAt: 0 });
      expect(hits.map((hit) => hit.itemKey)).toEqual([await keyOf("same"), await keyOf("close")]);
      expect(hits[0]?.score).toBeCloseTo(1, 5);
      expect(hits[1]?.score).toBeCloseTo(0.96, 5);
      const best = await semanticScan(store.db, { agentId: "a", modelId: "m", query: unitQuery([3, 4]), k: 1, liveAt: 0 });
      expect(best.map((hit) => hit.itemKey)).toEqual([await keyOf("same")]);
    } finally {
      await store.close();
    }
  });

  it("keeps the best k, best first", () => {
    const top = new TopHits(3);
    for (const [key, score] of [
      [1, 0.2],
      [2, 0.9],
      [3, 0.5],
      [4, 0.1],
      [5, 0.7],
    ] as const)
      top.offer(key, score);
    expect(top.best()).toEqual([
      { itemKey: 2, score: 0.9 },
      { itemKey: 5, score: 0.7 },
      { itemKey: 3, score: 0.5 },
    ]);
  });
});

describe("hybrid scoring", () => {
  it("normalises bm25 by the best match, adds clamped cosine, and says which side found each hit", () => {
    const lexical = [
      { itemKey: 1, score: 8 },
      { itemKey: 2, score: 4 },
    ];
    const semantic = [
      { itemKey: 2, score: 0.9 },
      { itemKey: 3, score: 0.95 },
    ];
    expect(combineHybrid(lexical, semantic, 10)).toEqual([
      { itemKey: 2, score: 0.5 * 0.5 + 0.5 * 0.9, matchedBy: "hybrid" },
      { itemKey: 1, score: 0.5, matchedBy: "lexical" },
      { itemKey: 3, score: 0.475, matchedBy: "semantic" },
    ]);
    expect(combineHybrid(lexical, semantic, 1).map((hit) => hit.itemKey)).toEqual([2]);
  });
});

describe("run capture's text", () => {
  const usage = { inputTokens: 1, outputTokens: 1, cachedInputTokens: 0, cacheWriteTokens: 0, estimated: false };
  const chat = (messages: { role: "user" | "assistant"; text: string }[], answer: string) => ({
    runId: "r",
    input: {
      messages: messages.map((message) => ({ role: message.role, parts: [{ type: "text" as const, text: message.text }] })),
      tools: [],
      stop: [],
      metadata: {},
    },
    answer: { text: answer, toolCalls: [], finishReason: "stop" as const, usage },
  });

  it("is the last user message and the answer, clipped to the item limit on a character boundary", () => {
    const messages = [
      { role: "user" as const, text: "first" },
      { role: "assistant" as const, text: "reply" },
      { role: "user" as const, text: "second" },
    ];
    expect(capturedText(chat(messages, "answer"), 1000)).toBe("second\n\nanswer");
    expect(capturedText(chat(messages, "  "), 1000)).toBeUndefined();
    expect(clipBytes("aé", 2)).toBe("a");
  });
});
