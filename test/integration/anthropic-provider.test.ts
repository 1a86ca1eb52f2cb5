import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AnthropicProvider } from "../../src/providers/anthropic/anthropic-provider.js";
import { GatewayError } from "../../src/shared/errors.js";
import type { ChatMessage, ChatRequest, ChatStreamEvent } from "../../src/shared/model-types.js";
import { type FakeAnthropic, startFakeAnthropic } from "../fixtures/fake-anthropic-upstream.js";

const apiKey = "sk-ant-test-SECRET123456";
let fake: FakeAnthropic;
let provider: AnthropicProvider;

beforeEach(async () => {
  fake = await startFakeAnthropic({ apiKey, cacheReadTokens: 8, cacheWriteTokens: 4 });
  provider = providerFor({});
});
afterEach(async () => {
  await fake.close();
});

function providerFor(overrides: { apiKey?: string; requestTimeoutMs?: number }): AnthropicProvider {
  return new AnthropicProvider({ providerId: "anthropic-test", baseUrl: fake.baseUrl, apiKey, requestTimeoutMs: 10_000, ...overrides });
}

const user = (text: string): ChatMessage => ({ role: "user", parts: [{ type: "text", text }] });
const request = (messages: ChatMessage[], extra: Partial<ChatRequest> = {}): ChatRequest => ({
  upstreamModel: "claude-test",
  messages,
  tools: [],
  stop: [],
  ...extra,
});

/** Runs one chat to its end; the error, if any, comes back beside the events that preceded it. */
async function run(req: ChatRequest, options: { via?: AnthropicProvider; signal?: AbortSignal } = {}) {
  const events: ChatStreamEvent[] = [];
  let error: GatewayError | undefined;
  try {
    for await (const event of (options.via ?? provider).streamChat(req, options.signal ?? new AbortController().signal)) events.push(event);
  } catch (caught) {
    if (!(caught instanceof GatewayError)) throw caught;
    error = caught;
  }
  return { events, error, text: events.map((event) => (event.type === "text" ? event.text : "")).join("") };
}

describe("AnthropicProvider against a fake Messages API", () => {
  it("streams the answer as several text events and reports usage with cache counts", async () => {
    const { events, error, text } = await run(request([{ role: "system", parts: [{ type: "text", text: "be kind" }] }, user("alpha beta gamma delta")]));
    expect(error).toBeUndefined();
    expect(text).toBe("echo: alpha beta gamma delta");
    expect(events.filter((event) => event.type === "text").length).toBeGreaterThan(1);
    expect(events.at(-2)).toEqual({ type: "finish", reason: "stop" });
    const usage = events.at(-1);
    expect(usage?.type).toBe("usage");
    if (usage?.type !== "usage") return;
    // The fake reports input_tokens beside 8 cache reads and 4 cache writes.
    expect(usage.usage).toMatchObject({ outputTokens: 5, cachedInputTokens: 8, cacheWriteTokens: 4, estimated: false });
    expect(usage.usage.inputTokens).toBeGreaterThan(12);
  });

  it("sends the Messages API headers and body", async () => {
    await run(request([user("hi")], { maxTokens: 64 }));
    const sent = fake.requests[0];
    expect(sent).toMatchObject({ method: "POST", path: "/v1/messages" });
    expect(sent?.headers["x-api-key"]).toBe(apiKey);
    expect(sent?.headers["anthropic-version"]).toBe("2023-06-01");
    expect(sent?.headers["content-type"]).toBe("application/json");
    expect(sent?.headers.authorization).toBeUndefined();
    expect(sent?.body).toMatchObject({
      model: "claude-test",
      max_tokens: 64,
      stream: true,
      messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }],
    });
  });

  it("streams a forced tool call and carries its result back in a valid follow-up", async () => {
    const tools = [{ name: "lookup", parametersJson: '{"type":"object","properties":{"input":{"type":"string"}}}' }];
    const first = await run(request([user("find cats")], { tools, toolChoice: { mode: "required" } }));
    const calls = first.events.filter((event) => event.type === "tool_call");
    expect(calls[0]).toMatchObject({ index: 0, id: "toolu_fake_0", name: "lookup", argumentsFragment: "" });
    expect(calls.length).toBeGreaterThan(2);
    expect(calls.every((call) => call.type === "tool_call" && call.index === 0)).toBe(true);
    const argumentsJson = calls.map((call) => (call.type === "tool_call" ? call.argumentsFragment : "")).join("");
    expect(JSON.parse(argumentsJson)).toEqual({ input: "find cats" });
    expect(first.events).toContainEqual({ type: "finish", reason: "tool_calls" });

    // The fake refuses what Anthropic refuses (alternation, tool_result without its tool_use).
    const second = await run(
      request(
        [
          user("find cats"),
          { role: "assistant", parts: [], toolCalls: [{ id: "toolu_fake_0", name: "lookup", argumentsJson }] },
          { role: "tool", toolCallId: "toolu_fake_0", parts: [{ type: "text", text: "3 cats" }] },
        ],
        { tools },
      ),
    );
    expect(second.error).toBeUndefined();
    expect(second.text).toBe("echo: 3 cats");
  });

  it("finishes with length when max_tokens cuts the answer", async () => {
    const { events, text } = await run(request([user("one two three four")], { maxTokens: 2 }));
    expect(text).toBe("echo: one ");
    expect(events).toContainEqual({ type: "finish", reason: "length" });
  });

  it("reassembles UTF-8 characters split across writes exactly", async () => {
    fake.enqueue({ kind: "split_utf8" });
    const { text, error } = await run(request([user("héllo 🌍 ñandú")]));
    expect(error).toBeUndefined();
    expect(text).toBe("echo: héllo 🌍 ñandú");
  });

  it("(the fake) answers requests without stream: true as one JSON message", async () => {
    const response = await fetch(`${fake.baseUrl}/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": apiKey, "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "claude-test", max_tokens: 10, messages: [{ role: "user", content: "hi there" }] }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      type: "message",
      content: [{ type: "text", text: "echo: hi there" }],
      stop_reason: "end_turn",
      usage: { cache_read_input_tokens: 8, cache_creation_input_tokens: 4, output_tokens: 3 },
    });
  });

  it("emits no usage event when the upstream reports none", async () => {
    fake.enqueue({ kind: "no_usage" });
    const { events, error } = await run(request([user("hi")]));
    expect(error).toBeUndefined();
    expect(events.some((event) => event.type === "usage")).toBe(false);
  });
});

describe("AnthropicProvider failures", () => {
  it("429 with Retry-After is a rate limit with the delay", async () => {
    fake.enqueue({ kind: "status", status: 429, headers: { "retry-after": "3" } });
    const { error } = await run(request([user("hi")]));
    expect(error?.kind).toBe("rate_limit");
    expect(error?.retryAfterMs).toBe(3000);
  });

  it("529 overloaded is transient", async () => {
    fake.enqueue({ kind: "status", status: 529 });
    expect((await run(request([user("hi")]))).error?.kind).toBe("transient");
  });

  it("a wrong API key is an auth error", async () => {
    const { error } = await run(request([user("hi")]), { via: providerFor({ apiKey: "sk-ant-wrong-key-000000" }) });
    expect(error?.kind).toBe("auth");
    expect(fake.requests[0]?.headers["x-api-key"]).toBe("sk-ant-wrong-key-000000");
  });

  it("an error event mid-stream is transient, after the text before it", async () => {
    fake.enqueue({ kind: "error_event" });
    const { events, error } = await run(request([user("alpha beta")]));
    expect(events[0]?.type).toBe("text");
    expect(error?.kind).toBe("transient");
    expect(error?.message).toContain("overloaded_error");
  });

  it("a reset before the first byte is a network error", async () => {
    fake.enqueue({ kind: "reset_before_first_byte" });
    const { events, error } = await run(request([user("hi")]));
    expect(events).toEqual([]);
    expect(error?.kind).toBe("network");
  });

  it("a reset after the first chunk is a network error, after the text already streamed", async () => {
    fake.enqueue({ kind: "reset_after_first_chunk" });
    const { events, error } = await run(request([user("alpha beta gamma")]));
    expect(events.filter((event) => event.type === "text").length).toBeGreaterThanOrEqual(1);
    expect(error?.kind).toBe("network");
  });

  it("a stream that ends without message_stop is a network error", async () => {
    fake.enqueue({ kind: "truncate_stream" });
    const { events, error } = await run(request([user("alpha beta")]));
    expect(events.some((event) => event.type === "usage")).toBe(false);
    expect(error?.kind).toBe("network");
    expect(error?.message).toMatch(/ended early/);
  });

  it("malformed event data is a malformed_response", async () => {
    fake.enqueue({ kind: "malformed_chunk" });
    expect((await run(request([user("alpha beta")]))).error?.kind).toBe("malformed_response");
  });

  it("an upstream slower than the time limit is a timeout", async () => {
    fake.enqueue({ kind: "delay", ms: 10_000 });
    const { error } = await run(request([user("hi")]), { via: providerFor({ requestTimeoutMs: 100 }) });
    expect(error?.kind).toBe("timeout");
    expect(await fake.closed(0)).toEqual({ completed: false });
  });

  it("aborting mid-stream stops the upstream request", async () => {
    fake.enqueue({ kind: "slow_stream", chunkDelayMs: 50 });
    const controller = new AbortController();
    const events: ChatStreamEvent[] = [];
    const consumed = (async () => {
      for await (const event of provider.streamChat(request([user("one two three four five six seven eight nine ten")]), controller.signal)) {
        events.push(event);
        if (event.type === "text") controller.abort();
      }
    })();
    await expect(consumed).rejects.toMatchObject({ kind: "cancelled" });
    expect(events).toHaveLength(1);
    // The fake saw the connection close before its answer was complete.
    expect(await fake.closed(0)).toEqual({ completed: false });
  });

  it("never leaks the API key an upstream error echoes", async () => {
    fake.enqueue({
      kind: "status",
      status: 400,
      body: { type: "error", error: { type: "invalid_request_error", message: `bad request for key ${apiKey} (x-api-key: ${apiKey})` } },
    });
    const { error } = await run(request([user("hi")]));
    expect(error?.kind).toBe("permanent");
    expect(error?.message).toContain("bad request");
    expect(`${error?.message} ${error?.code} ${JSON.stringify(error)}`).not.toContain("SECRET123456");
  });

  it("refuses a bad request before sending anything", async () => {
    const { error } = await run(request([user("x"), { role: "assistant", parts: [], toolCalls: [{ id: "a", name: "f", argumentsJson: "{nope" }] }]));
    expect(error?.kind).toBe("invalid_request");
    expect(error?.param).toBe("messages[1].tool_calls[0].function.arguments");
    expect(fake.requests).toHaveLength(0);
  });
});
