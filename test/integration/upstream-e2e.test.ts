import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type FakeAnthropic, startFakeAnthropic } from "../fixtures/fake-anthropic-upstream.js";
import { type FakeOpenAI, startFakeOpenAI } from "../fixtures/fake-openai-upstream.js";
import { startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";

// The whole path: the official OpenAI client -> /v1 -> RunStream -> a provider -> a fake upstream
// speaking the real wire format, for both provider kinds.

const openaiKey = "sk-test-upstream-OPENAI-0001";
const anthropicKey = "sk-ant-test-upstream-ANTHROPIC-0002";

let openaiUpstream: FakeOpenAI;
let anthropicUpstream: FakeAnthropic;
let gateway: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  openaiUpstream = await startFakeOpenAI({ apiKey: openaiKey, cachedTokens: 4 });
  anthropicUpstream = await startFakeAnthropic({ apiKey: anthropicKey, cacheReadTokens: 30, cacheWriteTokens: 20 });
  const keyFile = join(mkdtempSync(join(tmpdir(), "palyra-key-")), "anthropic.key");
  writeFileSync(keyFile, `${anthropicKey}\n`, { mode: 0o600 });
  const capabilities = "tool_calls = true\njson_mode = true\nvision = true";
  gateway = await startTestGateway({
    env: { FAKE_OPENAI_KEY: openaiKey },
    configToml: `
version = 1
[model_provider]
# No background health checks (the first would come a minute after start): they would take faults
# queued for the tests' own requests, and add to what the fake upstreams recorded.
health_ttl_ms = 3600000
default_chat_model_id = "gpt-fake"

[[model_provider.providers]]
provider_id = "openai"
kind = "openai_compatible"
base_url = "${openaiUpstream.baseUrl}"
allow_private_base_url = true
api_key_secret_ref = { kind = "env", variable = "FAKE_OPENAI_KEY" }
request_timeout_ms = 5000
# Breakers are tested on their own; here every fault must reach the upstream.
circuit_breaker_failure_threshold = 100

[[model_provider.providers]]
provider_id = "anthropic"
kind = "anthropic"
base_url = "${anthropicUpstream.baseUrl}"
allow_private_base_url = true
api_key_secret_ref = { kind = "file", path = "${keyFile}" }
circuit_breaker_failure_threshold = 100

[[model_provider.models]]
model_id = "gpt-fake"
provider_id = "openai"
upstream_model = "gpt-4o-mini"
${capabilities}

[[model_provider.models]]
model_id = "claude-fake"
provider_id = "anthropic"
upstream_model = "claude-sonnet-4-5"
${capabilities}

[[model_provider.models]]
model_id = "gpt-small-window"
provider_id = "openai"
max_context_tokens = 30

[[model_provider.models]]
model_id = "embed-fake"
provider_id = "openai"
upstream_model = "text-embedding-3-small"
role = "embeddings"

[[model_provider.models]]
model_id = "whisper-fake"
provider_id = "openai"
upstream_model = "whisper-1"
role = "audio_transcription"
`,
  });
  client = new OpenAI({ apiKey: testToken, baseURL: `${gateway.httpBase}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await gateway?.stop();
  await openaiUpstream?.close();
  await anthropicUpstream?.close();
});

function runRow(runId: string): Record<string, unknown> | undefined {
  const db = new Database(gateway.databaseFile, { readonly: true });
  try {
    return db.prepare("select * from runs where run_id = ?").get(runId) as Record<string, unknown> | undefined;
  } finally {
    db.close();
  }
}

const lastBody = (upstream: FakeOpenAI | FakeAnthropic) => upstream.requests.at(-1)?.body as Record<string, any>;

describe.each(["gpt-fake", "claude-fake"])("chat through %s", (model) => {
  const upstream = () => (model === "gpt-fake" ? openaiUpstream : anthropicUpstream);

  it("answers in the OpenAI shape, with usage, and records it", async () => {
    const { data, response } = await client.chat.completions
      .create({
        model,
        messages: [
          { role: "system", content: "be brief" },
          { role: "user", content: "hello upstream" },
        ],
      })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe("echo: hello upstream");
    expect(data.choices[0]?.finish_reason).toBe("stop");
    expect(response.headers.get("x-palyra-provider")).toBe(model === "gpt-fake" ? "openai" : "anthropic");
    const row = runRow(response.headers.get("x-palyra-run-id") ?? "");
    expect(row).toMatchObject({
      status: "succeeded",
      input_tokens: data.usage?.prompt_tokens,
      output_tokens: data.usage?.completion_tokens,
      usage_estimated: 0,
    });
    // The caller reads the answer whole, so the upstream is asked for a whole answer, usage in its body.
    expect(lastBody(upstream()).stream).not.toBe(true);
    expect(lastBody(upstream()).stream_options).toBeUndefined();
    if (model === "claude-fake") {
      expect(lastBody(anthropicUpstream).system).toContain("be brief");
      // Anthropic reports cache reads and writes beside input_tokens; ours are parts of the prompt.
      expect(data.usage?.prompt_tokens_details?.cached_tokens).toBe(30);
      expect(row).toMatchObject({ cached_input_tokens: 30, cache_write_tokens: 20 });
      expect(Number(row?.input_tokens)).toBeGreaterThanOrEqual(50);
    } else {
      expect(data.usage?.prompt_tokens_details?.cached_tokens).toBe(4);
      expect(row).toMatchObject({ cached_input_tokens: 4 });
    }
  });

  it("streams deltas as the upstream sends them, with usage", async () => {
    const stream = await client.chat.completions.create({
      model,
      messages: [{ role: "user", content: "one two three four five six" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const deltas: string[] = [];
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) deltas.push(chunk.choices[0].delta.content);
      usage ??= chunk.usage;
    }
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join("")).toBe("echo: one two three four five six");
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    expect(lastBody(upstream()).stream).toBe(true);
    if (model === "gpt-fake") expect(lastBody(openaiUpstream).stream_options).toEqual({ include_usage: true });
  });

  it("passes tools and images through and returns tool calls", async () => {
    const data = await client.chat.completions.create({
      model,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "what is in this picture" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
          ],
        },
      ],
      tools: [{ type: "function", function: { name: "describe", parameters: { type: "object", properties: { input: { type: "string" } } } } }],
      tool_choice: "required",
    });
    const call = data.choices[0]?.message.tool_calls?.[0];
    expect(data.choices[0]?.finish_reason).toBe("tool_calls");
    expect(call?.type === "function" && call.function.name).toBe("describe");
    const args = call?.type === "function" ? (JSON.parse(call.function.arguments) as { input: string }) : undefined;
    expect(args?.input).toMatch(/^what is in this picture/);
    const sent = JSON.stringify(lastBody(upstream()));
    expect(sent).toContain(model === "gpt-fake" ? '"image_url"' : '"media_type":"image/png"');
  });

  it("answers an upstream rate limit with 429, the upstream's Retry-After, and a failed run", async () => {
    // Failover off: otherwise the other provider would answer. Retry-After (120 s) exceeds the time left, so no retry.
    upstream().enqueue({ kind: "status", status: 429, headers: { "retry-after": "120" } });
    const error = await client.chat.completions
      .create({ model, messages: [{ role: "user", content: "x" }] }, { headers: { "x-palyra-failover": "off" } })
      .withResponse()
      .catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error.headers.get("retry-after")).toBe("120");
    expect(error.message).toContain(model === "gpt-fake" ? "openai" : "anthropic");
    expect(runRow(error.headers.get("x-palyra-run-id"))).toMatchObject({ status: "failed", error_kind: "rate_limit" });
  });

  it("raises an error in the SDK when the upstream drops mid-stream, and records a failed run", async () => {
    // After the first chunk reached the client, neither retry nor failover may happen.
    upstream().enqueue({ kind: "reset_after_first_chunk" });
    const { data: stream, response } = await client.chat.completions
      .create({ model, messages: [{ role: "user", content: "a b c d e f" }], stream: true })
      .withResponse();
    const seen: string[] = [];
    const failure = await (async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? "");
    })().catch((e) => e);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    const row = runRow(response.headers.get("x-palyra-run-id") ?? "");
    expect(row).toMatchObject({ status: "failed" });
    expect(["network", "malformed_response"]).toContain(row?.error_kind);
  });
});

describe("OpenAI-compatible extras and safety", () => {
  it("never shows the upstream key to the caller", async () => {
    const leaky = { kind: "status", status: 500, body: { error: { message: `internal failure for key ${openaiKey}` } } } as const;
    // One answer plus two retries, all failing; failover off so the error reaches the caller.
    openaiUpstream.enqueue(leaky, leaky, leaky);
    const error = await client.chat.completions
      .create({ model: "gpt-fake", messages: [{ role: "user", content: "x" }] }, { headers: { "x-palyra-failover": "off" } })
      .catch((e) => e);
    expect(error.status).toBe(503);
    expect(error.message).not.toContain(openaiKey);
    expect(error.message).toContain("<redacted>");
  });

  it("refuses a prompt over the context window without calling the upstream", async () => {
    const before = openaiUpstream.requests.length;
    const error = await client.chat.completions
      .create({ model: "gpt-small-window", messages: [{ role: "user", content: "many words ".repeat(40) }] })
      .catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.code).toBe("context_length_exceeded");
    expect(openaiUpstream.requests.length).toBe(before);
  });

  it("estimates and marks usage when the upstream reports none", async () => {
    openaiUpstream.enqueue({ kind: "no_usage" });
    const { data, response } = await client.chat.completions.create({ model: "gpt-fake", messages: [{ role: "user", content: "count me" }] }).withResponse();
    expect(data.usage?.completion_tokens).toBeGreaterThan(0);
    expect(runRow(response.headers.get("x-palyra-run-id") ?? "")).toMatchObject({ status: "succeeded", usage_estimated: 1 });
  });

  it("cancels the upstream request when the client goes away mid-stream", async () => {
    openaiUpstream.enqueue({ kind: "slow_stream", chunkDelayMs: 200 });
    const index = openaiUpstream.requests.length;
    const controller = new AbortController();
    const { data: stream, response } = await client.chat.completions
      .create({ model: "gpt-fake", messages: [{ role: "user", content: "a long slow answer to abandon" }], stream: true }, { signal: controller.signal })
      .withResponse();
    for await (const _chunk of stream) {
      controller.abort();
      break;
    }
    expect(await openaiUpstream.closed(index)).toEqual({ completed: false });
    const runId = response.headers.get("x-palyra-run-id") ?? "";
    // vi.waitFor gives up after 1 s by default, which a busy machine can spend before the run is recorded.
    await vi.waitFor(() => expect(runRow(runId)?.status).toBe("cancelled"), { timeout: 30_000, interval: 20 });
  });

  it("embeds and transcribes through the upstream", async () => {
    const embeddings = await client.embeddings.create({ model: "embed-fake", input: ["first", "second"], dimensions: 3 });
    expect(embeddings.data.map((item) => item.embedding.length)).toEqual([3, 3]);
    expect(lastBody(openaiUpstream)).toMatchObject({ model: "text-embedding-3-small", input: ["first", "second"], dimensions: 3 });

    const transcript = await client.audio.transcriptions.create({
      file: await toFile(Buffer.alloc(1234, 1), "call.mp3", { type: "audio/mpeg" }),
      model: "whisper-fake",
      language: "de",
    });
    expect(transcript.text).toBe("transcript of call.mp3 (1234 bytes)");
    expect(lastBody(openaiUpstream)).toMatchObject({ fields: expect.objectContaining({ model: "whisper-1", language: "de" }) });
  });
});
