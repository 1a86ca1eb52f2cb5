import Database from "better-sqlite3";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { slowModelConfig, startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";

let gateway: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  gateway = await startTestGateway({ configToml: slowModelConfig });
  client = new OpenAI({ apiKey: testToken, baseURL: `${gateway.httpBase}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await gateway?.stop();
});

function runKinds(): Record<string, unknown>[] {
  const db = new Database(gateway.databaseFile, { readonly: true });
  try {
    return db.prepare("select run_kind, model_id, status, input_tokens from runs where run_kind != 'chat'").all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

describe("/v1/embeddings", () => {
  it("embeds a batch in order (the SDK's default base64 encoding included) and records the run", async () => {
    const { data, response } = await client.embeddings.create({ model: "echo-embed", input: ["alpha", "beta", "alpha"] }).withResponse();
    expect(data.data.map((item) => item.index)).toEqual([0, 1, 2]);
    expect(data.data[0]?.embedding).toHaveLength(16);
    expect(data.data[0]?.embedding).toEqual(data.data[2]?.embedding);
    expect(data.data[0]?.embedding).not.toEqual(data.data[1]?.embedding);
    expect(data.usage.prompt_tokens).toBeGreaterThan(0);
    expect(response.headers.get("x-palyra-model")).toBe("echo-embed");
    expect(runKinds()).toContainEqual(expect.objectContaining({ run_kind: "embeddings", model_id: "echo-embed", status: "succeeded" }));

    const floats = await client.embeddings.create({ model: "echo-embed", input: "alpha", dimensions: 4, encoding_format: "float" });
    expect(floats.data[0]?.embedding).toHaveLength(4);
    expect(Math.hypot(...(floats.data[0]?.embedding ?? []))).toBeCloseTo(1, 5);
  });

  it("names what is wrong", async () => {
    const wrongRole = await client.embeddings.create({ model: "palyra-echo", input: "x" }).catch((e) => e);
    expect(wrongRole).toBeInstanceOf(OpenAI.BadRequestError);
    expect(wrongRole.code).toBe("model_role_mismatch");
    const empty = await client.embeddings.create({ model: "echo-embed", input: [] }).catch((e) => e);
    expect(empty.param).toBe("input");
    const tokens = await client.embeddings.create({ model: "echo-embed", input: [[1, 2, 3]] as never }).catch((e) => e);
    expect(tokens.status).toBe(400);
    expect(tokens.message).toContain("token arrays are not supported");
  });
});

describe("/v1/audio/transcriptions", () => {
  const audio = () => toFile(Buffer.alloc(3000, 7), "meeting.wav", { type: "audio/wav" });

  it("transcribes multipart uploads in JSON and in text formats, and records the run", async () => {
    const json = await client.audio.transcriptions.create({ file: await audio(), model: "echo-transcribe", language: "en" });
    expect(json.text).toBe("transcript of meeting.wav (3000 bytes)");
    const srt = await client.audio.transcriptions.create({ file: await audio(), model: "echo-transcribe", response_format: "srt" });
    expect(String(srt)).toMatch(/^1\n00:00:00,000 --> 00:00:01,000\ntranscript of meeting.wav/);
    const verbose = await client.audio.transcriptions.create({ file: await audio(), model: "echo-transcribe", response_format: "verbose_json" });
    expect(verbose.duration).toBe(1);
    expect(runKinds()).toContainEqual(expect.objectContaining({ run_kind: "audio_transcription", model_id: "echo-transcribe", status: "succeeded" }));
  });

  it("refuses a missing file or a chat model clearly", async () => {
    const form = new FormData();
    form.set("model", "echo-transcribe");
    const missing = await fetch(`${gateway.httpBase}/v1/audio/transcriptions`, {
      method: "POST",
      headers: { authorization: `Bearer ${testToken}` },
      body: form,
    });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as any).error.param).toBe("file");
    const wrong = await client.audio.transcriptions.create({ file: await audio(), model: "palyra-echo" }).catch((e) => e);
    expect(wrong.code).toBe("model_role_mismatch");
  });
});

describe("limits", () => {
  it("refuses a prompt over the model's context window before any upstream call", async () => {
    const error = await client.chat.completions.create({ model: "tiny-context", messages: [{ role: "user", content: "word ".repeat(200) }] }).catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.code).toBe("context_length_exceeded");
    expect(error.message).toContain("maximum context length is 40 tokens");
    const fits = await client.chat.completions.create({ model: "tiny-context", messages: [{ role: "user", content: "short" }] });
    expect(fits.choices[0]?.message.content).toBe("short");
  });

  it("answers an over-large body with 413", async () => {
    const response = await fetch(`${gateway.httpBase}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${testToken}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "palyra-echo", messages: [{ role: "user", content: "x".repeat(2 * 1024 * 1024) }] }),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as any).error.code).toBe("request_too_large");
  });
});
