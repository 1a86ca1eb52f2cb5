import { describe, expect, it } from "vitest";
import { type CachedAnswer, ResponseCache, type ResponseCacheOptions } from "../../src/registry/response-cache.js";
import type { ChatRequest } from "../../src/shared/model-types.js";

function request(overrides: Partial<ChatRequest> = {}): ChatRequest {
  return {
    upstreamModel: "gpt-test",
    messages: [
      { role: "system", parts: [{ type: "text", text: "Be brief." }] },
      { role: "user", parts: [{ type: "text", text: "What is 2+2?" }] },
    ],
    tools: [{ name: "lookup", description: "Looks things up", parametersJson: '{"type":"object"}' }],
    toolChoice: { mode: "auto" },
    responseFormat: { kind: "text" },
    maxTokens: 64,
    temperature: 0,
    topP: 1,
    stop: ["\n\n"],
    ...overrides,
  };
}

function answer(overrides: Partial<CachedAnswer> = {}): CachedAnswer {
  return {
    text: "4",
    toolCalls: [],
    finishReason: "stop",
    usage: { inputTokens: 12, outputTokens: 1, cachedInputTokens: 0, cacheWriteTokens: 0, estimated: false },
    modelId: "test-model",
    providerId: "fake",
    ...overrides,
  };
}

function cache(overrides: Partial<ResponseCacheOptions> = {}): ResponseCache {
  return new ResponseCache({ enabled: true, ttlMs: 1_000, maxEntries: 10, ...overrides });
}

describe("ResponseCache.keyFor", () => {
  const responseCache = cache();
  const base = responseCache.keyFor("test-model", request());

  it("is a SHA-256 hex digest", () => {
    expect(base).toMatch(/^[0-9a-f]{64}$/);
  });

  it("ignores object key order and the user", () => {
    const reordered: ChatRequest = {
      user: "someone-else",
      stop: ["\n\n"],
      topP: 1,
      temperature: 0,
      maxTokens: 64,
      responseFormat: { kind: "text" },
      toolChoice: { mode: "auto" },
      tools: [{ parametersJson: '{"type":"object"}', description: "Looks things up", name: "lookup" }],
      messages: [
        { parts: [{ text: "Be brief.", type: "text" }], role: "system" },
        { parts: [{ text: "What is 2+2?", type: "text" }], role: "user" },
      ],
      upstreamModel: "gpt-test",
    };
    expect(responseCache.keyFor("test-model", reordered)).toBe(base);
    expect(responseCache.keyFor("test-model", request({ user: "alice" }))).toBe(base);
  });

  it("differs when the model, temperature, messages, tools or other answer-shaping fields differ", () => {
    const variants: ChatRequest[] = [
      request({ temperature: 0.5 }),
      request({ messages: [{ role: "user", parts: [{ type: "text", text: "What is 3+3?" }] }] }),
      request({ tools: [] }),
      request({ tools: [{ name: "lookup", description: "Looks things up", parametersJson: '{"type":"string"}' }] }),
      request({ toolChoice: { mode: "none" } }),
      request({ responseFormat: { kind: "json_object" } }),
      request({ maxTokens: 65 }),
      request({ topP: 0.9 }),
      request({ stop: [] }),
    ];
    const keys = variants.map((variant) => responseCache.keyFor("test-model", variant));
    for (const key of keys) expect(key).not.toBe(base);
    expect(new Set(keys).size).toBe(keys.length);
    expect(responseCache.keyFor("other-model", request())).not.toBe(base);
  });

  it("tells a set temperature of 0 from an unset one", () => {
    expect(responseCache.keyFor("test-model", request({ temperature: undefined }))).not.toBe(base);
  });
});

describe("ResponseCache cacheability", () => {
  const responseCache = cache();

  it("accepts temperature 0, refuses 0.7, and accepts unset only when the model flag says so", () => {
    expect(responseCache.isCacheableRequest(request({ temperature: 0 }), false)).toBe(true);
    expect(responseCache.isCacheableRequest(request({ temperature: 0.7 }), false)).toBe(false);
    expect(responseCache.isCacheableRequest(request({ temperature: 0.7 }), true)).toBe(false);
    expect(responseCache.isCacheableRequest(request({ temperature: undefined }), false)).toBe(false);
    expect(responseCache.isCacheableRequest(request({ temperature: undefined }), true)).toBe(true);
  });

  it("refuses every request when disabled", () => {
    const disabled = cache({ enabled: false });
    expect(disabled.isCacheableRequest(request({ temperature: 0 }), true)).toBe(false);
  });

  it("accepts stop and length answers and refuses tool calls and content filtering", () => {
    expect(responseCache.isCacheableAnswer(answer({ finishReason: "stop" }))).toBe(true);
    expect(responseCache.isCacheableAnswer(answer({ finishReason: "length" }))).toBe(true);
    expect(responseCache.isCacheableAnswer(answer({ finishReason: "content_filter" }))).toBe(false);
    const withToolCall = answer({ finishReason: "tool_calls", toolCalls: [{ id: "c1", name: "lookup", argumentsJson: "{}" }] });
    expect(responseCache.isCacheableAnswer(withToolCall)).toBe(false);
    // A tool call with a "stop" finish (some upstreams report it so) is still not cacheable.
    expect(responseCache.isCacheableAnswer({ ...withToolCall, finishReason: "stop" })).toBe(false);
  });

  it("does not store uncacheable answers even when asked to", () => {
    const store = cache();
    store.set("filtered", answer({ finishReason: "content_filter" }));
    store.set("tools", answer({ toolCalls: [{ id: "c1", name: "lookup", argumentsJson: "{}" }] }));
    expect(store.get("filtered")).toBeUndefined();
    expect(store.get("tools")).toBeUndefined();
    expect(store.stats().entries).toBe(0);
  });
});

describe("ResponseCache storage", () => {
  it("counts hits and misses", () => {
    const store = cache();
    expect(store.get("k")).toBeUndefined();
    store.set("k", answer());
    expect(store.get("k")).toEqual(answer());
    expect(store.get("k")).toEqual(answer());
    expect(store.get("other")).toBeUndefined();
    expect(store.stats()).toEqual({ enabled: true, hits: 2, misses: 2, entries: 1, maxEntries: 10, ttlMs: 1_000 });
  });

  it("hands out copies that callers may mutate", () => {
    const store = cache();
    const original = answer({ finishReason: "length" });
    store.set("k", original);
    original.usage.outputTokens = 999;
    const first = store.get("k");
    expect(first?.usage.outputTokens).toBe(1);
    first?.toolCalls.push({ id: "x", name: "lookup", argumentsJson: "{}" });
    if (first) first.usage.inputTokens = 0;
    expect(store.get("k")).toEqual(answer({ finishReason: "length" }));
  });

  it("expires entries after ttlMs on the injected clock, and counts the expired read as a miss", () => {
    let clock = 10_000;
    const store = cache({ ttlMs: 500, now: () => clock });
    store.set("k", answer());
    clock += 499;
    expect(store.get("k")).toEqual(answer());
    clock += 2;
    expect(store.get("k")).toBeUndefined();
    expect(store.stats()).toMatchObject({ hits: 1, misses: 1, entries: 0 });
  });

  it("does not count expired entries that have not been read yet", () => {
    let clock = 0;
    const store = cache({ ttlMs: 500, now: () => clock });
    store.set("old", answer());
    clock += 400;
    store.set("new", answer());
    clock += 200;
    expect(store.stats().entries).toBe(1);
    expect(store.get("new")).toEqual(answer());
  });

  it("evicts the least recently used entry at maxEntries", () => {
    const store = cache({ maxEntries: 2 });
    store.set("a", answer({ text: "a" }));
    store.set("b", answer({ text: "b" }));
    // Reading "a" makes "b" the least recently used, though "a" was stored first.
    expect(store.get("a")?.text).toBe("a");
    store.set("c", answer({ text: "c" }));
    expect(store.stats().entries).toBe(2);
    expect(store.get("b")).toBeUndefined();
    expect(store.get("a")?.text).toBe("a");
    expect(store.get("c")?.text).toBe("c");
  });

  it("never stores or hits when disabled", () => {
    const store = cache({ enabled: false });
    store.set("k", answer());
    expect(store.get("k")).toBeUndefined();
    expect(store.stats()).toEqual({ enabled: false, hits: 0, misses: 0, entries: 0, maxEntries: 10, ttlMs: 1_000 });
  });
});
