import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AnthropicProvider } from "../../src/providers/anthropic/anthropic-provider.js";
import { OpenAICompatibleProvider } from "../../src/providers/openai/openai-provider.js";
import { GatewayError } from "../../src/shared/errors.js";
import type { ChatRequest, ChatStreamEvent, ModelProvider } from "../../src/shared/model-types.js";
import { type FakeAnthropic, startFakeAnthropic } from "../fixtures/fake-anthropic-upstream.js";
import { type FakeOpenAI, startFakeOpenAI } from "../fixtures/fake-openai-upstream.js";
import type { FakeBehaviour } from "../fixtures/fake-upstream-types.js";

// A caller that reads the answer whole: each HTTP provider asks its upstream for a non-streamed
// answer and yields the events the stream would have given, so nothing above the provider changes.

let openaiFake: FakeOpenAI;
let anthropicFake: FakeAnthropic;

beforeAll(async () => {
  [openaiFake, anthropicFake] = await Promise.all([startFakeOpenAI({ cachedTokens: 4 }), startFakeAnthropic({ cacheReadTokens: 8, cacheWriteTokens: 4 })]);
});

afterAll(async () => {
  await Promise.all([openaiFake?.close(), anthropicFake?.close()]);
});

const kinds = {
  openai_compatible: {
    fake: () => openaiFake,
    provider: (requestTimeoutMs = 10_000) =>
      new OpenAICompatibleProvider({ providerId: "openai", baseUrl: openaiFake.baseUrl, apiKey: undefined, requestTimeoutMs }),
  },
  anthropic: {
    fake: () => anthropicFake,
    provider: (requestTimeoutMs = 10_000) =>
      new AnthropicProvider({ providerId: "anthropic", baseUrl: anthropicFake.baseUrl, apiKey: undefined, requestTimeoutMs }),
  },
};

function whole(text: string, extra: Partial<ChatRequest> = {}): ChatRequest {
  return { upstreamModel: "model-x", messages: [{ role: "user", parts: [{ type: "text", text }] }], tools: [], stop: [], wholeAnswer: true, ...extra };
}

/** Reads the answer to its end; a GatewayError ends it and comes back beside the events before it. */
async function run(provider: ModelProvider, request: ChatRequest, signal = new AbortController().signal) {
  const events: ChatStreamEvent[] = [];
  try {
    for await (const event of provider.streamChat(request, signal)) events.push(event);
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    return { events, error };
  }
  return { events, error: undefined };
}

describe.each(Object.entries(kinds))("%s, answer read whole", (kind, { fake, provider }) => {
  /** Runs one request with the fake told how to behave, and returns what happened and what the fake received. */
  async function answered(request: ChatRequest, behaviour?: FakeBehaviour, via = provider()) {
    const index = fake().requests.length;
    if (behaviour !== undefined) fake().enqueue(behaviour);
    const outcome = await run(via, request);
    return { ...outcome, sent: fake().requests[index]?.body as Record<string, unknown> };
  }

  it("asks for a non-streamed answer and yields its text as one delta, then the finish and the usage", async () => {
    const { events, error, sent } = await answered(whole("one two three four five six"));
    expect(error).toBeUndefined();
    expect(sent.stream).not.toBe(true);
    expect(sent.stream_options).toBeUndefined();
    expect(events.slice(0, 2)).toEqual([
      { type: "text", text: "echo: one two three four five six" },
      { type: "finish", reason: "stop" },
    ]);
    const usage = events[2];
    expect(events).toHaveLength(3);
    expect(usage?.type === "usage" && usage.usage).toMatchObject(
      kind === "anthropic"
        ? { outputTokens: 7, cachedInputTokens: 8, cacheWriteTokens: 4, estimated: false }
        : { outputTokens: 7, cachedInputTokens: 4, estimated: false },
    );
  });

  it("yields a forced tool call whole, with the tool_calls finish", async () => {
    const tools = [{ name: "lookup", parametersJson: '{"type":"object"}' }];
    const { events, error } = await answered(whole("find it", { tools, toolChoice: { mode: "function", name: "lookup" } }));
    expect(error).toBeUndefined();
    const call = events.find((event) => event.type === "tool_call");
    expect(call).toMatchObject({ type: "tool_call", index: 0, name: "lookup" });
    expect(call?.type === "tool_call" && JSON.parse(call.argumentsFragment)).toEqual({ input: "find it" });
    expect(events.find((event) => event.type === "finish")).toEqual({ type: "finish", reason: "tool_calls" });
  });

  it("passes on the length finish of a cut answer", async () => {
    const { events } = await answered(whole("one two three four five", { maxTokens: 2 }));
    expect(events.find((event) => event.type === "finish")).toEqual({ type: "finish", reason: "length" });
  });

  it("reports no usage when the upstream sends none", async () => {
    const { events, error } = await answered(whole("no usage here"), { kind: "no_usage" });
    expect(error).toBeUndefined();
    expect(events.some((event) => event.type === "usage")).toBe(false);
    expect(events[0]).toEqual({ type: "text", text: "echo: no usage here" });
  });

  it("classifies a status, with its Retry-After", async () => {
    const { error } = await answered(whole("x"), { kind: "status", status: 429, headers: { "retry-after": "7" } });
    expect(error).toMatchObject({ kind: "rate_limit", retryAfterMs: 7_000 });
  });

  it("a reset before the first byte is a network error", async () => {
    const { events, error } = await answered(whole("x"), { kind: "reset_before_first_byte" });
    expect(events).toEqual([]);
    expect(error).toMatchObject({ kind: "network", code: "upstream_network" });
  });

  it("a request that outlives its time limit is a timeout, and its connection is closed", async () => {
    const index = fake().requests.length;
    const { events, error } = await answered(whole("slow"), { kind: "delay", ms: 600_000 }, provider(1_000));
    expect(events).toEqual([]);
    expect(error).toMatchObject({ kind: "timeout", code: "upstream_timeout" });
    // On a very busy machine the limit can pass before the fake has read the request; then there is
    // no answer of its to close (the caller's abort below proves the closing without a race).
    if (fake().requests.length > index) expect(await fake().closed(index)).toEqual({ completed: false });
  });

  it("the caller's abort closes the upstream connection", async () => {
    const index = fake().requests.length;
    fake().enqueue({ kind: "delay", ms: 600_000 });
    const controller = new AbortController();
    const outcome = run(provider(), whole("abandoned"), controller.signal);
    await fake().received(index);
    controller.abort();
    expect((await outcome).error).toMatchObject({ kind: "cancelled" });
    expect(await fake().closed(index)).toEqual({ completed: false });
  });
});

describe("openai_compatible, answer read whole: broken bodies", () => {
  const openai = () => kinds.openai_compatible.provider();

  it("a body cut short is a malformed answer, a reset mid-body a network error", async () => {
    openaiFake.enqueue({ kind: "truncate_stream" });
    expect((await run(openai(), whole("cut"))).error).toMatchObject({ kind: "malformed_response" });
    openaiFake.enqueue({ kind: "reset_after_first_chunk" });
    expect((await run(openai(), whole("reset"))).error).toMatchObject({ kind: "network" });
  });

  it("an error object answered with 200 is classified like its status", async () => {
    openaiFake.enqueue({ kind: "error_event" });
    expect((await run(openai(), whole("x"))).error).toMatchObject({ kind: "transient" });
  });

  it("reads a stream all the same when the server streams what was asked whole", async () => {
    openaiFake.enqueue({
      kind: "status",
      status: 200,
      headers: { "content-type": "text/event-stream" },
      body: 'data: {"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n',
    });
    expect((await run(openai(), whole("x"))).events).toEqual([
      { type: "text", text: "hi" },
      { type: "finish", reason: "stop" },
    ]);
  });
});

describe("redirects, streamed or whole", () => {
  it.each([false, true])("are not followed (wholeAnswer %s)", async (wholeAnswer) => {
    const index = openaiFake.requests.length;
    openaiFake.enqueue({ kind: "status", status: 307, headers: { location: `${openaiFake.baseUrl}/chat/completions` }, body: "" });
    const { error } = await run(kinds.openai_compatible.provider(), whole("x", { wholeAnswer }));
    expect(error).toMatchObject({ kind: "permanent", code: "upstream_redirect" });
    expect(openaiFake.requests.length).toBe(index + 1);
  });
});
