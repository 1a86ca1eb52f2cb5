import { describe, expect, it } from "vitest";
import { toMessagesRequest } from "../../src/providers/anthropic/messages-request.js";
import { MessagesStreamParser, parseMessagesStream, toFinishReason } from "../../src/providers/anthropic/messages-stream.js";
import type { SseEvent } from "../../src/providers/sse.js";
import { GatewayError } from "../../src/shared/errors.js";
import type { ChatMessage, ChatRequest, ChatStreamEvent } from "../../src/shared/model-types.js";

const text = (role: ChatMessage["role"], value: string): ChatMessage => ({ role, parts: [{ type: "text", text: value }] });
const request = (messages: ChatMessage[], extra: Partial<ChatRequest> = {}): ChatRequest => ({
  upstreamModel: "claude-test",
  messages,
  tools: [],
  stop: [],
  ...extra,
});

/** The GatewayError a call throws, to assert its kind and param. */
function thrown(call: () => unknown): GatewayError {
  try {
    call();
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error("expected a GatewayError");
}

describe("Anthropic request translation", () => {
  it("lifts system and developer messages, in order, into the top-level system prompt", () => {
    const body = toMessagesRequest(
      request([text("system", "be brief"), text("user", "hi"), text("developer", "use metric units"), text("assistant", "hello"), text("user", "how far?")]),
    );
    expect(body.system).toBe("be brief\n\nuse metric units");
    expect(body.messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(body.messages[0]?.content).toEqual([{ type: "text", text: "hi" }]);
    expect(body.stream).toBe(true);
  });

  it("sends data-URL images inline as base64 and https images by URL", () => {
    const body = toMessagesRequest(
      request([
        {
          role: "user",
          parts: [
            { type: "text", text: "compare" },
            { type: "image", url: "data:image/png;base64,iVBORw0KGgo=" },
            { type: "image", url: "https://img.example/cat.jpg", detail: "low" },
          ],
        },
      ]),
    );
    expect(body.messages[0]?.content).toEqual([
      { type: "text", text: "compare" },
      { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
      { type: "image", source: { type: "url", url: "https://img.example/cat.jpg" } },
    ]);
  });

  it("refuses images Anthropic cannot take, naming the part", () => {
    const image = (url: string) =>
      request([
        {
          role: "user",
          parts: [
            { type: "text", text: "x" },
            { type: "image", url },
          ],
        },
      ]);
    for (const url of ["http://img.example/cat.jpg", "data:image/png,rawbytes", "data:image/bmp;base64,Qk0="]) {
      const error = thrown(() => toMessagesRequest(image(url)));
      expect(error.kind).toBe("invalid_request");
      expect(error.param).toBe("messages[0].content[1].image_url.url");
    }
    expect(
      thrown(() => toMessagesRequest(request([{ role: "system", parts: [{ type: "image", url: "https://a.example/i.png" }] }, text("user", "x")]))).param,
    ).toBe("messages[0].content[0]");
  });

  it("turns assistant tool calls into tool_use blocks and merges consecutive tool results into one user turn", () => {
    const body = toMessagesRequest(
      request([
        text("user", "weather in Oslo and Rome?"),
        {
          role: "assistant",
          parts: [{ type: "text", text: "Checking." }],
          toolCalls: [
            { id: "toolu_1", name: "weather", argumentsJson: '{"city":"Oslo"}' },
            { id: "toolu_2", name: "weather", argumentsJson: "" },
          ],
        },
        { role: "tool", toolCallId: "toolu_1", parts: [{ type: "text", text: "-3C" }] },
        { role: "tool", toolCallId: "toolu_2", parts: [{ type: "text", text: "14C" }] },
        text("user", "and tomorrow?"),
      ]),
    );
    expect(body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "weather in Oslo and Rome?" }] },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Checking." },
          { type: "tool_use", id: "toolu_1", name: "weather", input: { city: "Oslo" } },
          { type: "tool_use", id: "toolu_2", name: "weather", input: {} },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_1", content: "-3C" },
          { type: "tool_result", tool_use_id: "toolu_2", content: "14C" },
          { type: "text", text: "and tomorrow?" },
        ],
      },
    ]);
  });

  it("sends an empty tool result without content and an image result as blocks", () => {
    const body = toMessagesRequest(
      request([
        text("user", "x"),
        {
          role: "assistant",
          parts: [],
          toolCalls: [
            { id: "a", name: "f", argumentsJson: "{}" },
            { id: "b", name: "g", argumentsJson: "{}" },
          ],
        },
        { role: "tool", toolCallId: "a", parts: [] },
        { role: "tool", toolCallId: "b", parts: [{ type: "image", url: "https://img.example/chart.png" }] },
      ]),
    );
    expect(body.messages[2]?.content).toEqual([
      { type: "tool_result", tool_use_id: "a" },
      { type: "tool_result", tool_use_id: "b", content: [{ type: "image", source: { type: "url", url: "https://img.example/chart.png" } }] },
    ]);
  });

  it("merges consecutive same-role turns so roles strictly alternate", () => {
    const body = toMessagesRequest(request([text("user", "a"), text("user", "b"), text("assistant", "c"), text("assistant", "d")]));
    expect(body.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "a" },
          { type: "text", text: "b" },
        ],
      },
      {
        role: "assistant",
        content: [
          { type: "text", text: "c" },
          { type: "text", text: "d" },
        ],
      },
    ]);
  });

  it("names the tool-call arguments that are not a JSON object, and tool messages without an id", () => {
    const call = (argumentsJson: string) =>
      request([
        text("user", "x"),
        {
          role: "assistant",
          parts: [],
          toolCalls: [
            { id: "a", name: "f", argumentsJson: "{}" },
            { id: "b", name: "f", argumentsJson },
          ],
        },
      ]);
    for (const bad of ["{not json", "[1,2]"]) {
      const error = thrown(() => toMessagesRequest(call(bad)));
      expect(error.kind).toBe("invalid_request");
      expect(error.param).toBe("messages[1].tool_calls[1].function.arguments");
    }
    expect(thrown(() => toMessagesRequest(request([text("user", "x"), { role: "tool", parts: [] }]))).param).toBe("messages[1].tool_call_id");
  });

  it("translates tools with their schema, defaulting to an object schema", () => {
    const body = toMessagesRequest(
      request([text("user", "x")], {
        tools: [
          { name: "weather", description: "Current weather", parametersJson: '{"type":"object","properties":{"city":{"type":"string"}}}' },
          { name: "now" },
        ],
      }),
    );
    expect(body.tools).toEqual([
      { name: "weather", description: "Current weather", input_schema: { type: "object", properties: { city: { type: "string" } } } },
      { name: "now", input_schema: { type: "object" } },
    ]);
    expect(body.tool_choice).toBeUndefined();
    expect(thrown(() => toMessagesRequest(request([text("user", "x")], { tools: [{ name: "f", parametersJson: "{oops" }] }))).param).toBe(
      "tools[0].function.parameters",
    );
  });

  it("maps tool_choice auto, none, required and function", () => {
    const choice = (toolChoice: ChatRequest["toolChoice"]) =>
      toMessagesRequest(request([text("user", "x")], { tools: [{ name: "f" }, { name: "g" }], ...(toolChoice && { toolChoice }) })).tool_choice;
    expect(choice({ mode: "auto" })).toEqual({ type: "auto" });
    expect(choice({ mode: "none" })).toEqual({ type: "none" });
    expect(choice({ mode: "required" })).toEqual({ type: "any" });
    expect(choice({ mode: "function", name: "g" })).toEqual({ type: "tool", name: "g" });
    expect(thrown(() => choice({ mode: "function", name: "missing" })).param).toBe("tool_choice.function.name");
    // Without tools, Anthropic refuses a tool_choice, so none is sent.
    expect(toMessagesRequest(request([text("user", "x")], { toolChoice: { mode: "required" } })).tool_choice).toBeUndefined();
  });

  it("asks for JSON through the system prompt and prefills nothing", () => {
    const asObject = toMessagesRequest(request([text("system", "be exact"), text("user", "x")], { responseFormat: { kind: "json_object" } }));
    expect(asObject.system).toMatch(/^be exact\n\nAnswer with only one JSON object/);
    expect(asObject.messages.at(-1)?.role).toBe("user");

    const schemaJson = '{"type":"object","properties":{"answer":{"type":"number"}},"required":["answer"]}';
    const asSchema = toMessagesRequest(request([text("user", "x")], { responseFormat: { kind: "json_schema", name: "result", schemaJson, strict: true } }));
    expect(asSchema.system).toContain("JSON object");
    expect(asSchema.system).toContain('"result"');
    expect(asSchema.system).toContain(schemaJson);
    expect(asSchema.messages).toHaveLength(1);

    expect(toMessagesRequest(request([text("user", "x")], { responseFormat: { kind: "text" } })).system).toBeUndefined();
  });

  it("sets max_tokens from the request, else the provider default, else 4096", () => {
    expect(toMessagesRequest(request([text("user", "x")], { maxTokens: 17 }), { maxOutputTokensDefault: 900 }).max_tokens).toBe(17);
    expect(toMessagesRequest(request([text("user", "x")]), { maxOutputTokensDefault: 900 }).max_tokens).toBe(900);
    expect(toMessagesRequest(request([text("user", "x")])).max_tokens).toBe(4096);
  });

  it("passes sampling, stop sequences and the end-user id", () => {
    const body = toMessagesRequest(request([text("user", "x")], { temperature: 0.2, topP: 0.9, stop: ["END", "STOP"], user: "user-7" }));
    expect(body).toMatchObject({ model: "claude-test", temperature: 0.2, top_p: 0.9, stop_sequences: ["END", "STOP"], metadata: { user_id: "user-7" } });
    const plain = toMessagesRequest(request([text("user", "x")]));
    expect(Object.keys(plain).sort()).toEqual(["max_tokens", "messages", "model", "stream"]);
  });

  it("refuses a conversation with nothing to answer", () => {
    expect(thrown(() => toMessagesRequest(request([text("system", "only rules")]))).param).toBe("messages");
  });
});

const sse = (data: object): SseEvent => ({ event: (data as { type: string }).type, data: JSON.stringify(data) });

function parseAll(events: SseEvent[]): ChatStreamEvent[] {
  const parser = new MessagesStreamParser("anthropic-test");
  const out = events.flatMap((event) => parser.push(event));
  parser.end();
  return out;
}

const start = (usage: object) => sse({ type: "message_start", message: { id: "msg_1", type: "message", role: "assistant", content: [], usage } });
const stop = sse({ type: "message_stop" });

describe("Anthropic stream translation", () => {
  it("streams text deltas, skips pings, and reports the finish then one usage event", () => {
    const events = parseAll([
      start({ input_tokens: 12, output_tokens: 1 }),
      sse({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
      sse({ type: "ping" }),
      sse({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hel" } }),
      sse({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "lo" } }),
      sse({ type: "content_block_stop", index: 0 }),
      sse({ type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 2 } }),
      stop,
    ]);
    expect(events).toEqual([
      { type: "text", text: "Hel" },
      { type: "text", text: "lo" },
      { type: "finish", reason: "stop" },
      { type: "usage", usage: { inputTokens: 12, outputTokens: 2, cachedInputTokens: 0, cacheWriteTokens: 0, estimated: false } },
    ]);
  });

  it("counts tool_use blocks from 0 and routes their JSON fragments by block index", () => {
    const events = parseAll([
      start({ input_tokens: 5 }),
      sse({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
      sse({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Let me check." } }),
      sse({ type: "content_block_start", index: 1, content_block: { type: "tool_use", id: "toolu_a", name: "weather", input: {} } }),
      sse({ type: "content_block_start", index: 2, content_block: { type: "tool_use", id: "toolu_b", name: "time", input: {} } }),
      sse({ type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: '{"city":' } }),
      sse({ type: "content_block_delta", index: 2, delta: { type: "input_json_delta", partial_json: "{}" } }),
      sse({ type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: '"Oslo"}' } }),
      sse({ type: "message_delta", delta: { stop_reason: "tool_use" }, usage: { output_tokens: 30 } }),
      stop,
    ]);
    expect(events.slice(0, -1)).toEqual([
      { type: "text", text: "Let me check." },
      { type: "tool_call", index: 0, id: "toolu_a", name: "weather", argumentsFragment: "" },
      { type: "tool_call", index: 1, id: "toolu_b", name: "time", argumentsFragment: "" },
      { type: "tool_call", index: 0, argumentsFragment: '{"city":' },
      { type: "tool_call", index: 1, argumentsFragment: "{}" },
      { type: "tool_call", index: 0, argumentsFragment: '"Oslo"}' },
      { type: "finish", reason: "tool_calls" },
    ]);
  });

  it("maps every stop reason", () => {
    expect(["end_turn", "stop_sequence", "max_tokens", "tool_use", "refusal", "pause_turn", "some_future_reason"].map(toFinishReason)).toEqual([
      "stop",
      "stop",
      "length",
      "tool_calls",
      "content_filter",
      "stop",
      "stop",
    ]);
  });

  it("adds cache reads and writes to the input once, and keeps them as subsets", () => {
    const events = parseAll([
      start({ input_tokens: 100, cache_read_input_tokens: 30, cache_creation_input_tokens: 20, output_tokens: 1 }),
      sse({ type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 7 } }),
      stop,
    ]);
    const usage = events.filter((event) => event.type === "usage");
    expect(usage).toEqual([{ type: "usage", usage: { inputTokens: 150, outputTokens: 7, cachedInputTokens: 30, cacheWriteTokens: 20, estimated: false } }]);
  });

  it("takes the later cumulative counts when message_delta repeats them", () => {
    const events = parseAll([
      start({ input_tokens: 10, cache_read_input_tokens: 4, output_tokens: 1 }),
      sse({ type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { input_tokens: 12, cache_read_input_tokens: 4, output_tokens: 9 } }),
      stop,
    ]);
    expect(events.at(-1)).toEqual({ type: "usage", usage: { inputTokens: 16, outputTokens: 9, cachedInputTokens: 4, cacheWriteTokens: 0, estimated: false } });
  });

  it("emits no usage when the upstream reported none, so the gateway counts it", () => {
    const events = parseAll([start({}), sse({ type: "message_delta", delta: { stop_reason: "end_turn" } }), stop]);
    expect(events).toEqual([{ type: "finish", reason: "stop" }]);
  });

  it("turns error events into classified, sanitised errors", () => {
    const kindOf = (type: string, message = "boom") => {
      const parser = new MessagesStreamParser("anthropic-test");
      return thrown(() => parser.push({ event: "error", data: JSON.stringify({ type: "error", error: { type, message } }) }));
    };
    expect(kindOf("overloaded_error").kind).toBe("transient");
    expect(kindOf("api_error").kind).toBe("transient");
    expect(kindOf("rate_limit_error").kind).toBe("rate_limit");
    expect(kindOf("invalid_request_error").kind).toBe("permanent");
    expect(kindOf("authentication_error").kind).toBe("auth");
    const leaky = kindOf("authentication_error", "bad key sk-ant-test-SECRET123456");
    expect(leaky.message).not.toContain("SECRET123456");
    expect(leaky.message).toContain("anthropic-test");
  });

  it("fails a stream that ends before message_stop as a network error", () => {
    const error = thrown(() => parseAll([start({ input_tokens: 1 }), sse({ type: "message_delta", delta: { stop_reason: "end_turn" } })]));
    expect(error.kind).toBe("network");
    expect(error.message).toMatch(/ended early/);
  });

  it("fails malformed data as malformed_response", () => {
    expect(thrown(() => parseAll([{ event: "content_block_delta", data: '{"type":"content_block_delta",' }])).kind).toBe("malformed_response");
    expect(thrown(() => parseAll([sse({ type: "content_block_delta", index: 3, delta: { type: "input_json_delta", partial_json: "{" } })])).kind).toBe(
      "malformed_response",
    );
  });

  it("yields each event as it arrives instead of waiting for the stream to end", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    async function* upstream(): AsyncIterable<SseEvent> {
      yield start({ input_tokens: 1 });
      yield sse({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "first" } });
      await held;
      yield sse({ type: "message_delta", delta: { stop_reason: "end_turn" } });
      yield stop;
    }
    const iterator = parseMessagesStream(upstream(), "anthropic-test")[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: { type: "text", text: "first" } });
    release();
    expect(await iterator.next()).toEqual({ done: false, value: { type: "finish", reason: "stop" } });
  });
});
