import { describe, expect, it } from "vitest";
import { combineHybrid } from "../../src/memory/hybrid-score.js";
import { capturedText, clipBytes } from "../../src/memory/run-capture.js";
import { cosine, unitQuery } from "../../src/memory/semantic-scan.js";
import { TopHits } from "../../src/memory/top-hits.js";
import { encodeUnitVector } from "../../src/store/memory-repository.js";
import { ftsExpression, maxQueryTerms } from "../../src/store/memory-search-repository.js";

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

describe("cosine ranking", () => {
  it("scores stored unit vectors against a unit query, and skips other dimensions", () => {
    const query = unitQuery([3, 4]);
    expect(cosine(query, encodeUnitVector([6, 8]))).toBeCloseTo(1, 6);
    expect(cosine(query, encodeUnitVector([-4, 3]))).toBeCloseTo(0, 6);
    expect(cosine(query, encodeUnitVector([1, 2, 3]))).toBeUndefined();
    // An unaligned copy of the bytes reads the same.
    const stored = encodeUnitVector([4, 3]);
    const unaligned = new Uint8Array(stored.byteLength + 1).subarray(1);
    unaligned.set(stored);
    expect(cosine(query, unaligned)).toBeCloseTo(0.96, 6);
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
