/**
 * The fake OpenAI upstream is itself checked against the official SDK and raw fetch, so tests and the
 * benchmark that rely on it are talking to something that really speaks OpenAI's wire format.
 */
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { splitUtf8Reply } from "../fixtures/fake-openai-answers.js";
import { fakeTranscript, fakeVector } from "../fixtures/fake-openai-unary-answers.js";
import { type FakeOpenAI, startFakeOpenAI } from "../fixtures/fake-openai-upstream.js";

const apiKey = "sk-test-fixture-key-0001";
let fake: FakeOpenAI;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKey, cachedTokens: 3 });
  client = new OpenAI({ apiKey, baseURL: fake.baseUrl, maxRetries: 0 });
});

afterAll(async () => {
  await fake?.close();
});

function postChat(body: object, headers: Record<string, string> = { authorization: `Bearer ${apiKey}` }): Promise<Response> {
  return fetch(`${fake.baseUrl}/chat/completions`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
}

describe("fake OpenAI upstream", () => {
  it("answers the official SDK: chat, streamed chat, tool calls, embeddings, transcription, models", async () => {
    const completion = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi there" }] });
    expect(completion.choices[0]?.message.content).toBe("echo: hi there");
    expect(completion.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 3 } });

    const stream = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "a b c d e" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usageChunks = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usageChunks += 1;
    }
    expect(text).toBe("echo: a b c d e");
    expect(usageChunks).toBe(1);

    const tool = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "call it" }],
      tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }],
      tool_choice: "required",
    });
    expect(tool.choices[0]).toMatchObject({
      finish_reason: "tool_calls",
      message: { tool_calls: [{ type: "function", function: { name: "f", arguments: '{"input":"call it"}' } }] },
    });

    const embeddings = await client.embeddings.create({ model: "text-embedding-3-small", input: ["x", "y"], dimensions: 3, encoding_format: "float" });
    expect(embeddings.data.find((item) => item.index === 1)?.embedding).toEqual(fakeVector("y", 3));

    const transcription = await client.audio.transcriptions.create({ model: "whisper-1", file: await toFile(new Uint8Array(10), "a.mp3") });
    expect(transcription.text).toBe(fakeTranscript("a.mp3", 10));

    const models = [];
    for await (const model of client.models.list()) models.push(model.id);
    expect(models).toContain("gpt-4o-mini");
  });

  it("refuses a wrong or missing key with an OpenAI error naming the key it got", async () => {
    const response = await postChat({ model: "m", messages: [] }, { authorization: "Bearer sk-wrong-key-123" });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: "invalid_api_key", message: expect.stringContaining("sk-wrong-key-123") } });
    expect((await postChat({ model: "m", messages: [] }, {})).status).toBe(401);
  });

  it("streams with a ping comment, no usage chunk unless asked, and [DONE]", async () => {
    const text = await (await postChat({ model: "m", stream: true, messages: [{ role: "user", content: "hello" }] })).text();
    expect(text).toContain(": ping\n\n");
    expect(text).not.toContain('"usage"');
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
  });

  it("splits split_utf8 streams inside characters, and the pieces reassemble", async () => {
    fake.enqueue({ kind: "split_utf8" });
    const response = await postChat({ model: "m", stream: true, messages: [{ role: "user", content: "x" }] });
    const pieces: Uint8Array[] = [];
    for await (const piece of response.body as unknown as AsyncIterable<Uint8Array>) pieces.push(piece);
    const undecodable = pieces.filter((piece) => {
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(piece);
        return false;
      } catch {
        return true;
      }
    });
    expect(undecodable.length).toBeGreaterThan(0);
    const whole = Buffer.concat(pieces).toString("utf8");
    const content = [...whole.matchAll(/"content":"([^"]*)"/g)].map((match) => match[1]).join("");
    expect(content).toBe(splitUtf8Reply);
  });

  it("answers status behaviours before checking the key, and unknown routes with 404", async () => {
    fake.enqueue({ kind: "status", status: 503, headers: { "retry-after": "7" } });
    const failed = await postChat({}, {});
    expect([failed.status, failed.headers.get("retry-after")]).toEqual([503, "7"]);
    expect(await failed.json()).toMatchObject({ error: { type: "server_error" } });
    const missing = await fetch(`${fake.baseUrl}/nowhere`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(missing.status).toBe(404);
  });
});
