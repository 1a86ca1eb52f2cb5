import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenAICompatibleProvider } from "../../src/providers/openai/openai-provider.js";
import { GatewayError } from "../../src/shared/errors.js";
import type { ChatRequest, ChatStreamEvent, TranscriptionFormat, TranscriptionRequest } from "../../src/shared/model-types.js";
import { splitUtf8Reply } from "../fixtures/fake-openai-answers.js";
import { fakeTranscript, fakeVector } from "../fixtures/fake-openai-unary-answers.js";
import { type FakeOpenAI, startFakeOpenAI } from "../fixtures/fake-openai-upstream.js";
import type { FakeBehaviour } from "../fixtures/fake-upstream-types.js";

const apiKey = "sk-test-SECRET123456";
let fake: FakeOpenAI;
let provider: OpenAICompatibleProvider;

beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKey, cachedTokens: 4 });
  provider = providerWith({});
});

afterAll(async () => {
  await fake?.close();
});

function providerWith(overrides: { apiKey?: string; requestTimeoutMs?: number }): OpenAICompatibleProvider {
  return new OpenAICompatibleProvider({ providerId: "fake-openai", baseUrl: fake.baseUrl, apiKey, requestTimeoutMs: 10_000, ...overrides });
}

function chat(text: string, extra: Partial<ChatRequest> = {}): ChatRequest {
  return {
    upstreamModel: "gpt-4o-mini",
    messages: [
      { role: "system", parts: [{ type: "text", text: "be brief" }] },
      { role: "user", parts: [{ type: "text", text }] },
    ],
    tools: [],
    stop: [],
    ...extra,
  };
}

/** Reads a whole stream; a GatewayError ends it and is returned with the events that came before. */
async function run(request: ChatRequest, signal = new AbortController().signal, using = provider) {
  const events: ChatStreamEvent[] = [];
  try {
    for await (const event of using.streamChat(request, signal)) events.push(event);
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    return { events, error };
  }
  return { events, error: undefined };
}

const textOf = (events: ChatStreamEvent[]) => events.flatMap((event) => (event.type === "text" ? [event.text] : [])).join("");

describe("OpenAICompatibleProvider chat against the fake upstream", () => {
  it("streams text in several events and reports the upstream's usage once, at the end", async () => {
    const index = fake.requests.length;
    const { events, error } = await run(chat("hello there world of streams", { maxTokens: 50, temperature: 0.3, topP: 0.9, stop: ["END"], user: "u1" }));
    expect(error).toBeUndefined();
    expect(textOf(events)).toBe("echo: hello there world of streams");
    expect(events.filter((event) => event.type === "text").length).toBeGreaterThan(1);
    expect(events.filter((event) => event.type === "usage")).toHaveLength(1);
    // 2 + 5 words in the prompt plus the fake's 10; the reply's 6 words; the 4 cached are part of the 17, not added.
    expect(events.slice(-2)).toEqual([
      { type: "finish", reason: "stop" },
      { type: "usage", usage: { inputTokens: 17, outputTokens: 6, cachedInputTokens: 4, cacheWriteTokens: 0, estimated: false } },
    ]);

    const sent = fake.requests[index];
    expect(sent).toMatchObject({ method: "POST", path: "/v1/chat/completions" });
    expect(sent?.headers.authorization).toBe(`Bearer ${apiKey}`);
    expect(sent?.body).toMatchObject({
      model: "gpt-4o-mini",
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 50,
      temperature: 0.3,
      top_p: 0.9,
      stop: ["END"],
      user: "u1",
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "hello there world of streams" },
      ],
    });
  });

  it("passes on a cut answer's finish reason", async () => {
    const { events } = await run(chat("one two three four", { maxTokens: 2 }));
    expect(textOf(events)).toBe("echo: one");
    expect(events).toContainEqual({ type: "finish", reason: "length" });
  });

  it("streams tool-call fragments that assemble into the call", async () => {
    const tools = [{ name: "lookup", parametersJson: '{"type":"object","properties":{"input":{"type":"string"}}}' }, { name: "other" }];
    for (const toolChoice of [{ mode: "required" as const }, { mode: "function" as const, name: "lookup" }]) {
      const { events, error } = await run(chat("find this", { tools, toolChoice }));
      expect(error).toBeUndefined();
      const calls = events.filter((event) => event.type === "tool_call");
      expect(calls.length).toBeGreaterThan(1);
      expect(calls[0]).toMatchObject({ index: 0, name: "lookup", id: expect.stringMatching(/^call_/) });
      expect(calls.map((call) => call.argumentsFragment).join("")).toBe('{"input":"find this"}');
      expect(events).toContainEqual({ type: "finish", reason: "tool_calls" });
      expect(fake.requests.at(-1)?.body).toMatchObject({ tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object" } } }, {}] });
    }
  });

  it("reports no usage when the upstream sends none", async () => {
    fake.enqueue({ kind: "no_usage" });
    const { events, error } = await run(chat("quiet"));
    expect(error).toBeUndefined();
    expect(textOf(events)).toBe("echo: quiet");
    expect(events.some((event) => event.type === "usage")).toBe(false);
    expect(events.at(-1)).toEqual({ type: "finish", reason: "stop" });
  });

  it("reassembles multi-byte characters and frames split across writes", async () => {
    fake.enqueue({ kind: "split_utf8" });
    const { events, error } = await run(chat("anything"));
    expect(error).toBeUndefined();
    expect(textOf(events)).toBe(splitUtf8Reply);
    expect(events.filter((event) => event.type === "usage")).toHaveLength(1);
  });

  it("answers normally after an injected delay", async () => {
    fake.enqueue({ kind: "delay", ms: 20 });
    expect(textOf((await run(chat("later"))).events)).toBe("echo: later");
  });
});

describe("upstream faults become classified errors", () => {
  const failing = async (behaviour: FakeBehaviour) => {
    fake.enqueue(behaviour);
    const result = await run(chat("hello there"));
    expect(result.error).toBeInstanceOf(GatewayError);
    return { events: result.events, error: result.error as GatewayError };
  };

  it("429 is a rate limit, with Retry-After in seconds or as a date", async () => {
    const seconds = await failing({ kind: "status", status: 429, headers: { "retry-after": "2" } });
    expect(seconds.error).toMatchObject({ kind: "rate_limit", retryAfterMs: 2000 });
    // An hour ahead: the wait left shrinks only by the time this test takes, which its timeout keeps far below that margin.
    const hourMs = 3_600_000;
    const at = new Date(Date.now() + hourMs);
    const dated = await failing({ kind: "status", status: 429, headers: { "retry-after": at.toUTCString() } });
    expect(dated.error.kind).toBe("rate_limit");
    // HTTP dates have whole seconds, and some time passed since `at` was made.
    expect(dated.error.retryAfterMs).toBeGreaterThan(hourMs - 10 * 60_000);
    expect(dated.error.retryAfterMs).toBeLessThanOrEqual(hourMs);
    expect((await failing({ kind: "status", status: 429 })).error).toMatchObject({ kind: "rate_limit", retryAfterMs: undefined });
  });

  it("401, 400 context_length_exceeded, 500 and 503 each get their kind", async () => {
    expect((await failing({ kind: "status", status: 401 })).error.kind).toBe("auth");
    const overflow = await failing({
      kind: "status",
      status: 400,
      body: {
        error: {
          message: "This model's maximum context length is 128000 tokens.",
          type: "invalid_request_error",
          param: "messages",
          code: "context_length_exceeded",
        },
      },
    });
    expect(overflow.error.kind).toBe("context_overflow");
    expect((await failing({ kind: "status", status: 500 })).error.kind).toBe("transient");
    expect((await failing({ kind: "status", status: 503 })).error.kind).toBe("transient");
  });

  it("a reset before the first byte is a network error", async () => {
    const { events, error } = await failing({ kind: "reset_before_first_byte" });
    expect(events).toEqual([]);
    expect(error.kind).toBe("network");
  });

  it("a reset after the first chunk fails after the text that arrived", async () => {
    const { events, error } = await failing({ kind: "reset_after_first_chunk" });
    expect(events.filter((event) => event.type === "text").length).toBeGreaterThanOrEqual(1);
    expect(error.kind).toBe("network");
  });

  it("a stream that stops without a finish or [DONE] fails as ended early", async () => {
    const { events, error } = await failing({ kind: "truncate_stream" });
    expect(textOf(events)).not.toBe("");
    expect(error.kind).toBe("network");
    expect(error.message).toMatch(/ended early/);
  });

  it("a malformed frame is a malformed response", async () => {
    const { events, error } = await failing({ kind: "malformed_chunk" });
    expect(events.length).toBeGreaterThanOrEqual(1);
    expect(error).toMatchObject({ kind: "malformed_response", code: "upstream_malformed_response" });
  });

  it("an error frame mid-stream is classified like its HTTP equivalent", async () => {
    const { events, error } = await failing({ kind: "error_event" });
    expect(events.length).toBeGreaterThanOrEqual(1);
    expect(error.kind).toBe("transient");
    expect(error.message).toMatch(/had an error/);
  });

  it("a JSON error answered with 200 instead of a stream is classified too", async () => {
    const { error } = await failing({
      kind: "status",
      status: 200,
      body: { error: { message: "Rate limit reached for requests", type: "requests", code: "rate_limit_exceeded" } },
    });
    expect(error.kind).toBe("rate_limit");
    expect((await failing({ kind: "status", status: 200, body: { id: "chatcmpl-1", choices: [] } })).error.kind).toBe("malformed_response");
  });

  it("a request that outlives its time limit is a timeout", async () => {
    fake.enqueue({ kind: "delay", ms: 2_000 });
    const { error } = await run(chat("slow"), new AbortController().signal, providerWith({ requestTimeoutMs: 100 }));
    expect(error?.kind).toBe("timeout");
  });

  it("never repeats the API key an upstream echoes in its error", async () => {
    const otherFake = await startFakeOpenAI({ apiKey: "sk-test-theRightKey99" });
    try {
      const wrongKey = new OpenAICompatibleProvider({ providerId: "other", baseUrl: otherFake.baseUrl, apiKey, requestTimeoutMs: 5_000 });
      const { error } = await run(chat("hi"), new AbortController().signal, wrongKey);
      expect(error?.kind).toBe("auth");
      expect(error?.message).toContain("Incorrect API key provided");
      expect(error?.message).not.toContain("SECRET123456");
    } finally {
      await otherFake.close();
    }
    const echoed = await failing({
      kind: "status",
      status: 500,
      body: { error: { message: `internal failure, Authorization: Bearer ${apiKey} key=${apiKey}` } },
    });
    expect(echoed.error.message).not.toContain("SECRET123456");
  });
});

describe("cancellation", () => {
  const long = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi";

  it("aborting the signal mid-stream stops reading and closes the upstream connection", async () => {
    const index = fake.requests.length;
    fake.enqueue({ kind: "slow_stream", chunkDelayMs: 200 });
    let upstreamClosed = false;
    void fake.closed(index).then(() => (upstreamClosed = true));
    const controller = new AbortController();
    const events: ChatStreamEvent[] = [];
    let stillOpen = false;
    const reading = (async () => {
      for await (const event of provider.streamChat(chat(long), controller.signal)) {
        events.push(event);
        if (event.type === "text" && !controller.signal.aborted) {
          // The first text arrived while the upstream was still answering: nothing was buffered.
          stillOpen = !upstreamClosed;
          controller.abort();
        }
      }
    })();
    await expect(reading).rejects.toMatchObject({ kind: "cancelled" });
    expect(stillOpen).toBe(true);
    expect(events.filter((event) => event.type === "text")).toHaveLength(1);
    expect(await fake.closed(index)).toEqual({ completed: false });
  });

  it("a consumer that stops iterating closes the upstream connection too", async () => {
    const index = fake.requests.length;
    fake.enqueue({ kind: "slow_stream", chunkDelayMs: 200 });
    for await (const event of provider.streamChat(chat(long), new AbortController().signal)) {
      if (event.type === "text") break;
    }
    expect(await fake.closed(index)).toEqual({ completed: false });
  });
});

describe("embeddings against the fake upstream", () => {
  it("returns vectors in input order with the upstream's usage", async () => {
    const index = fake.requests.length;
    const inputs = ["alpha", "beta gamma", "delta"];
    const result = await provider.embed({ upstreamModel: "text-embedding-3-small", inputs, dimensions: 4 }, new AbortController().signal);
    expect(result.vectors).toEqual(inputs.map((input) => fakeVector(input, 4)));
    expect(result.usage).toEqual({ inputTokens: 4, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, estimated: false });
    expect(fake.requests[index]).toMatchObject({
      path: "/v1/embeddings",
      body: { model: "text-embedding-3-small", input: inputs, dimensions: 4, encoding_format: "float" },
    });

    const plain = await provider.embed({ upstreamModel: "text-embedding-3-small", inputs: ["one"] }, new AbortController().signal);
    expect(plain.vectors[0]).toHaveLength(8);
    expect(fake.requests.at(-1)?.body).not.toHaveProperty("dimensions");
  });

  it("classifies failures and malformed bodies", async () => {
    const embed = () => provider.embed({ upstreamModel: "e", inputs: ["x"] }, new AbortController().signal);
    fake.enqueue({ kind: "status", status: 429, headers: { "retry-after": "1" } });
    await expect(embed()).rejects.toMatchObject({ kind: "rate_limit", retryAfterMs: 1000 });
    fake.enqueue({ kind: "malformed_chunk" });
    await expect(embed()).rejects.toMatchObject({ kind: "malformed_response" });
    fake.enqueue({ kind: "reset_after_first_chunk" });
    await expect(embed()).rejects.toMatchObject({ kind: "network" });
  });
});

describe("transcription against the fake upstream", () => {
  const audio = new Uint8Array(3200).fill(7);
  const request = (responseFormat: TranscriptionFormat, extra: Partial<TranscriptionRequest> = {}): TranscriptionRequest => ({
    upstreamModel: "whisper-1",
    audio,
    fileName: "clip.wav",
    mimeType: "audio/wav",
    responseFormat,
    ...extra,
  });
  const transcript = fakeTranscript("clip.wav", 3200);

  it("sends the multipart form and reads a JSON answer with usage", async () => {
    const index = fake.requests.length;
    const result = await provider.transcribe(request("json", { language: "en", prompt: "two words", temperature: 0 }), new AbortController().signal);
    expect(result.text).toBe(transcript);
    expect(JSON.parse(result.body)).toMatchObject({ text: transcript });
    // 3200 bytes / 100 plus the prompt's two words; the transcript's five words.
    expect(result.usage).toEqual({ inputTokens: 34, outputTokens: 5, cachedInputTokens: 0, cacheWriteTokens: 0, estimated: false });
    expect(fake.requests[index]).toMatchObject({
      path: "/v1/audio/transcriptions",
      body: {
        fields: { model: "whisper-1", language: "en", prompt: "two words", response_format: "json", temperature: "0" },
        files: { file: { name: "clip.wav", size: 3200, type: "audio/wav" } },
      },
    });
    expect(fake.requests[index]?.headers.authorization).toBe(`Bearer ${apiKey}`);
  });

  it("reads verbose_json with its duration", async () => {
    const result = await provider.transcribe(request("verbose_json"), new AbortController().signal);
    expect(result).toMatchObject({ text: transcript, durationSeconds: 0.2 });
    expect(JSON.parse(result.body)).toHaveProperty("segments");
  });

  it("keeps text, SRT and VTT bodies as sent and gives their plain text", async () => {
    const text = await provider.transcribe(request("text"), new AbortController().signal);
    expect(text).toEqual({ text: transcript, body: `${transcript}\n` });
    const srt = await provider.transcribe(request("srt"), new AbortController().signal);
    expect(srt.body).toMatch(/^1\n00:00:00,000 --> 00:00:01,000\n/);
    expect(srt.text).toBe(transcript);
    const vtt = await provider.transcribe(request("vtt"), new AbortController().signal);
    expect(vtt.body).toMatch(/^WEBVTT\n/);
    expect(vtt.text).toBe(transcript);
  });
});
