import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { toWireChatRequest } from "../../src/providers/openai/chat-request.js";
import { chunkContent, mapFinishReason, parseChunk, readChatStream } from "../../src/providers/openai/chat-stream.js";
import { toUsage } from "../../src/providers/openai/usage.js";
import type { WireChatChunk } from "../../src/providers/openai/wire-types.js";
import { GatewayError } from "../../src/shared/errors.js";
import type { ChatRequest, ChatStreamEvent } from "../../src/shared/model-types.js";

const base: ChatRequest = { upstreamModel: "gpt-4o-mini", messages: [{ role: "user", parts: [{ type: "text", text: "hi" }] }], tools: [], stop: [] };

function thrown(action: () => unknown): GatewayError {
  try {
    action();
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error("expected a GatewayError");
}

describe("toWireChatRequest", () => {
  it("always streams and always asks for usage, leaving out unset options", () => {
    expect(toWireChatRequest(base)).toEqual({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("translates every message role and content part", () => {
    const wire = toWireChatRequest({
      ...base,
      messages: [
        { role: "system", parts: [{ type: "text", text: "be brief" }] },
        { role: "developer", parts: [{ type: "text", text: "rules" }] },
        {
          role: "user",
          name: "ann",
          parts: [
            { type: "text", text: "one" },
            { type: "text", text: "two" },
          ],
        },
        {
          role: "user",
          parts: [
            { type: "text", text: "look" },
            { type: "image", url: "https://img.example/a.png", detail: "low" },
            { type: "image", url: "data:image/png;base64,AAAA" },
          ],
        },
        { role: "assistant", parts: [], toolCalls: [{ id: "call_1", name: "lookup", argumentsJson: '{"q":"x"}' }] },
        { role: "assistant", parts: [{ type: "text", text: "let me check" }], toolCalls: [{ id: "call_2", name: "lookup", argumentsJson: "{}" }] },
        { role: "tool", toolCallId: "call_1", parts: [{ type: "text", text: "42" }] },
        { role: "assistant", parts: [{ type: "text", text: "it is 42" }] },
      ],
    });
    expect(wire.messages).toEqual([
      { role: "system", content: "be brief" },
      { role: "developer", content: "rules" },
      {
        role: "user",
        name: "ann",
        content: [
          { type: "text", text: "one" },
          { type: "text", text: "two" },
        ],
      },
      {
        role: "user",
        content: [
          { type: "text", text: "look" },
          { type: "image_url", image_url: { url: "https://img.example/a.png", detail: "low" } },
          { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
        ],
      },
      { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "lookup", arguments: '{"q":"x"}' } }] },
      { role: "assistant", content: "let me check", tool_calls: [{ id: "call_2", type: "function", function: { name: "lookup", arguments: "{}" } }] },
      { role: "tool", content: "42", tool_call_id: "call_1" },
      { role: "assistant", content: "it is 42" },
    ]);
  });

  it("translates tools, tool choices, response formats and sampling options", () => {
    const wire = toWireChatRequest({
      ...base,
      tools: [
        { name: "lookup", description: "finds things", parametersJson: '{"type":"object","properties":{"q":{"type":"string"}}}', strict: true },
        { name: "ping" },
      ],
      toolChoice: { mode: "function", name: "lookup" },
      responseFormat: { kind: "json_schema", name: "answer", schemaJson: '{"type":"object"}', strict: true },
      maxTokens: 64,
      temperature: 0,
      topP: 0.5,
      stop: ["END", "STOP"],
      user: "user-7",
    });
    expect(wire).toMatchObject({
      tools: [
        {
          type: "function",
          function: { name: "lookup", description: "finds things", parameters: { type: "object", properties: { q: { type: "string" } } }, strict: true },
        },
        { type: "function", function: { name: "ping" } },
      ],
      tool_choice: { type: "function", function: { name: "lookup" } },
      response_format: { type: "json_schema", json_schema: { name: "answer", schema: { type: "object" }, strict: true } },
      max_tokens: 64,
      temperature: 0,
      top_p: 0.5,
      stop: ["END", "STOP"],
      user: "user-7",
    });
    expect(wire).not.toHaveProperty("max_completion_tokens");
    for (const mode of ["auto", "none", "required"] as const) {
      expect(toWireChatRequest({ ...base, toolChoice: { mode } }).tool_choice).toBe(mode);
    }
    expect(toWireChatRequest({ ...base, responseFormat: { kind: "json_object" } }).response_format).toEqual({ type: "json_object" });
    expect(toWireChatRequest({ ...base, responseFormat: { kind: "text" } }).response_format).toEqual({ type: "text" });
  });

  it("rejects what the wire format cannot carry, naming the field", () => {
    expect(
      thrown(() => toWireChatRequest({ ...base, messages: [{ role: "system", parts: [{ type: "image", url: "https://img.example/a.png" }] }] })),
    ).toMatchObject({
      kind: "invalid_request",
      param: "messages[0].content[0]",
    });
    expect(thrown(() => toWireChatRequest({ ...base, tools: [{ name: "f", parametersJson: "{not json" }] }))).toMatchObject({
      kind: "invalid_request",
      param: "tools[0].function.parameters",
    });
    expect(thrown(() => toWireChatRequest({ ...base, responseFormat: { kind: "json_schema", name: "x", schemaJson: "", strict: false } }))).toMatchObject({
      kind: "invalid_request",
      param: "response_format.json_schema.schema",
    });
    expect(thrown(() => toWireChatRequest({ ...base, messages: [{ role: "tool", parts: [{ type: "text", text: "42" }] }] }))).toMatchObject({
      kind: "invalid_request",
      param: "messages[0].tool_call_id",
    });
  });
});

describe("stream chunks", () => {
  const content = (chunk: WireChatChunk) => chunkContent(chunk, "p");

  it("turns deltas into text, tool-call fragments and a finish", () => {
    expect(content({ choices: [{ index: 0, delta: { role: "assistant", content: "" } }] }).events).toEqual([]);
    expect(content({ choices: [{ index: 0, delta: { content: "Hel" }, finish_reason: null }] }).events).toEqual([{ type: "text", text: "Hel" }]);
    expect(
      content({
        choices: [
          {
            index: 0,
            delta: {
              tool_calls: [
                { index: 0, id: "call_1", type: "function", function: { name: "lookup", arguments: "" } },
                { index: 1, function: { arguments: '{"q":' } },
                { function: { name: "third", arguments: "{}" } },
              ],
            },
          },
        ],
      }).events,
    ).toEqual([
      { type: "tool_call", index: 0, id: "call_1", name: "lookup", argumentsFragment: "" },
      { type: "tool_call", index: 1, argumentsFragment: '{"q":' },
      // Servers that send each call whole sometimes leave out the index: its position stands in.
      { type: "tool_call", index: 2, name: "third", argumentsFragment: "{}" },
    ]);
    expect(content({ choices: [{ index: 0, delta: { function_call: { name: "legacy", arguments: "{}" } } }] }).events).toEqual([
      { type: "tool_call", index: 0, name: "legacy", argumentsFragment: "{}" },
    ]);
    expect(content({ choices: [{ index: 0, delta: {}, finish_reason: "length" }] }).events).toEqual([{ type: "finish", reason: "length" }]);
    // Only choice 0 is ours.
    expect(content({ choices: [{ index: 1, delta: { content: "other" } }] }).events).toEqual([]);
  });

  it("maps finish reasons, unknown ones to stop", () => {
    expect(["stop", "length", "tool_calls", "content_filter", "function_call", "eos", ""].map(mapFinishReason)).toEqual([
      "stop",
      "length",
      "tool_calls",
      "content_filter",
      "tool_calls",
      "stop",
      "stop",
    ]);
  });

  it("reads usage from usage-only chunks (and Groq's x_groq), cached tokens as a subset", () => {
    const usageOnly = content({
      choices: [],
      usage: { prompt_tokens: 100, completion_tokens: 7, total_tokens: 107, prompt_tokens_details: { cached_tokens: 60 } },
    });
    expect(usageOnly).toEqual({
      events: [],
      usage: { inputTokens: 100, outputTokens: 7, cachedInputTokens: 60, cacheWriteTokens: 0, estimated: false },
    });
    expect(
      content({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }], x_groq: { usage: { prompt_tokens: 5, completion_tokens: 2 } } }).usage,
    ).toMatchObject({
      inputTokens: 5,
      outputTokens: 2,
    });
    expect(content({ choices: [{ index: 0, delta: { content: "x" } }], usage: null }).usage).toBeUndefined();
    expect(toUsage({ prompt_tokens: 10, total_tokens: 14, prompt_tokens_details: { cached_tokens: 99 } })).toMatchObject({
      inputTokens: 10,
      outputTokens: 4,
      cachedInputTokens: 10,
    });
  });

  it("classifies an error object in a data frame like the HTTP error it stands for", () => {
    const kindOf = (error: object) => thrown(() => content({ error } as WireChatChunk)).kind;
    expect(kindOf({ message: "Rate limit reached", type: "requests", code: "rate_limit_exceeded" })).toBe("rate_limit");
    expect(kindOf({ message: "This model's maximum context length is 8192 tokens", type: "invalid_request_error", code: "context_length_exceeded" })).toBe(
      "context_overflow",
    );
    expect(kindOf({ message: "Incorrect API key provided", type: "invalid_request_error", code: "invalid_api_key" })).toBe("auth");
    expect(kindOf({ message: "The server had an error", type: "server_error" })).toBe("transient");
    expect(kindOf({ message: "upstream said no", code: 429 })).toBe("rate_limit");
    expect(kindOf({ message: "bad input", type: "invalid_request_error" })).toBe("permanent");
    const error = thrown(() => content({ error: { message: "failed for key sk-test-SECRET123456", type: "server_error" } }));
    expect(error.message).toContain("mid-stream");
    expect(error.message).not.toContain("SECRET123456");
  });

  it("calls a frame that is not a JSON object malformed", () => {
    expect(thrown(() => parseChunk('{"choices":[', "p"))).toMatchObject({ kind: "malformed_response", code: "upstream_malformed_response" });
    expect(thrown(() => parseChunk("[1,2]", "p")).kind).toBe("malformed_response");
    expect(parseChunk('{"choices":[]}', "p")).toEqual({ choices: [] });
  });
});

describe("readChatStream", () => {
  const encoder = new TextEncoder();
  const frame = (data: object | string) => `data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;
  const delta = (text: string) => frame({ choices: [{ index: 0, delta: { content: text } }] });
  const finish = frame({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] });
  const usage = frame({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 2 } });

  /** A Node stream, like undici's response body, that yields the pieces one by one or fails at an Error. */
  function body(pieces: (string | Error)[]): Readable {
    return Readable.from(
      (async function* () {
        for (const piece of pieces) {
          if (piece instanceof Error) throw piece;
          yield encoder.encode(piece);
        }
      })(),
    );
  }

  async function read(pieces: (string | Error)[]): Promise<{ events: ChatStreamEvent[]; error?: GatewayError }> {
    const events: ChatStreamEvent[] = [];
    try {
      for await (const event of readChatStream(body(pieces), "p", new AbortController().signal)) events.push(event);
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
      return { events, error };
    }
    return { events };
  }

  it("yields text as it comes, one finish, and usage once after [DONE]", async () => {
    const whole = `: ping\n\n${delta("Hel")}${delta("lo")}${finish}${finish}${usage}${usage}${frame("[DONE]")}${delta("ignored")}`;
    // Cut the wire text at awkward places: inside "data:" and inside frames.
    const { events, error } = await read([whole.slice(0, 3), whole.slice(3, 20), whole.slice(20, 61), whole.slice(61)]);
    expect(error).toBeUndefined();
    expect(events).toEqual([
      { type: "text", text: "Hel" },
      { type: "text", text: "lo" },
      { type: "finish", reason: "stop" },
      { type: "usage", usage: { inputTokens: 3, outputTokens: 2, cachedInputTokens: 0, cacheWriteTokens: 0, estimated: false } },
    ]);
  });

  it("accepts a finished stream without [DONE], and reports no usage it was not given", async () => {
    expect((await read([delta("a"), finish])).events).toEqual([
      { type: "text", text: "a" },
      { type: "finish", reason: "stop" },
    ]);
  });

  it("fails a stream that ends before its answer is complete", async () => {
    const { events, error } = await read([delta("partial")]);
    expect(events).toEqual([{ type: "text", text: "partial" }]);
    expect(error).toMatchObject({ kind: "network" });
    expect(error?.message).toMatch(/ended early/);
  });

  it("classifies a failed body read, and ignores one after [DONE]", async () => {
    const failed = await read([delta("a"), Object.assign(new TypeError("terminated"), { cause: { code: "UND_ERR_SOCKET" } })]);
    expect(failed.error).toMatchObject({ kind: "network" });
    expect(failed.error?.message).toContain("UND_ERR_SOCKET");
    const afterDone = await read([delta("a"), finish, frame("[DONE]"), new TypeError("terminated")]);
    expect(afterDone.error).toBeUndefined();
  });

  it("stops at a malformed frame or an error frame", async () => {
    expect((await read([delta("a"), "data: {oops\n\n", finish])).error?.kind).toBe("malformed_response");
    const failed = await read([delta("a"), frame({ error: { message: "Overloaded", type: "server_error" } }), finish]);
    expect(failed.events).toEqual([{ type: "text", text: "a" }]);
    expect(failed.error?.kind).toBe("transient");
  });
});
