import { describe, expect, it } from "vitest";
import { fromWireEmbeddings, toWireEmbeddingsRequest } from "../../src/providers/openai/embeddings.js";
import { subtitleText } from "../../src/providers/openai/subtitle-text.js";
import { fromTranscriptionBody, toTranscriptionForm } from "../../src/providers/openai/transcription.js";
import { GatewayError } from "../../src/shared/errors.js";
import type { EmbeddingsRequest, TranscriptionFormat, TranscriptionRequest } from "../../src/shared/model-types.js";

function thrown(action: () => unknown): GatewayError {
  try {
    action();
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error("expected a GatewayError");
}

describe("embeddings wire", () => {
  const request: EmbeddingsRequest = { upstreamModel: "text-embedding-3-small", inputs: ["a", "b c", "d"], dimensions: 2, user: "u" };

  it("sends the batch as given, as floats", () => {
    expect(toWireEmbeddingsRequest(request)).toEqual({
      model: "text-embedding-3-small",
      input: ["a", "b c", "d"],
      encoding_format: "float",
      dimensions: 2,
      user: "u",
    });
    expect(toWireEmbeddingsRequest({ upstreamModel: "m", inputs: ["x"] })).toEqual({ model: "m", input: ["x"], encoding_format: "float" });
  });

  it("puts vectors in input order whatever order they came in", async () => {
    const body = JSON.stringify({
      data: [
        { index: 2, embedding: [3, 3] },
        { index: 0, embedding: [1, 1] },
        { index: 1, embedding: [2, 2] },
      ],
      usage: { prompt_tokens: 4, total_tokens: 4 },
    });
    expect(await fromWireEmbeddings(body, request, "p")).toEqual({
      vectors: [
        [1, 1],
        [2, 2],
        [3, 3],
      ],
      usage: { inputTokens: 4, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, estimated: false },
    });
  });

  it("estimates usage a server left out", async () => {
    const body = JSON.stringify({ data: [0, 1, 2].map((index) => ({ index, embedding: [0] })) });
    const { usage } = await fromWireEmbeddings(body, request, "p");
    expect(usage).toMatchObject({ estimated: true, outputTokens: 0 });
    expect(usage.inputTokens).toBeGreaterThan(0);
  });

  it("calls missing, repeated or non-numeric data malformed, and classifies an error body", async () => {
    const kindOf = async (body: string) => {
      const error = await fromWireEmbeddings(body, request, "p").then(
        () => undefined,
        (thrownError: unknown) => thrownError,
      );
      if (!(error instanceof GatewayError)) throw new Error("expected a GatewayError");
      return error.kind;
    };
    expect(await kindOf("not json")).toBe("malformed_response");
    expect(await kindOf("{}")).toBe("malformed_response");
    expect(
      await kindOf(
        JSON.stringify({
          data: [
            { index: 0, embedding: [1] },
            { index: 0, embedding: [1] },
            { index: 1, embedding: [1] },
          ],
        }),
      ),
    ).toBe("malformed_response");
    expect(
      await kindOf(
        JSON.stringify({
          data: [
            { index: 0, embedding: [1] },
            { index: 1, embedding: [1] },
          ],
        }),
      ),
    ).toBe("malformed_response");
    expect(await kindOf(JSON.stringify({ data: [0, 1, 2].map((index) => ({ index, embedding: "AAAA" })) }))).toBe("malformed_response");
    expect(await kindOf(JSON.stringify({ error: { message: "Rate limit reached", code: "rate_limit_exceeded" } }))).toBe("rate_limit");
  });
});

describe("transcription wire", () => {
  const request = (responseFormat: TranscriptionFormat): TranscriptionRequest => ({
    upstreamModel: "whisper-1",
    audio: new Uint8Array([1, 2, 3]),
    fileName: "a.wav",
    mimeType: "audio/wav",
    responseFormat,
  });

  it("builds the multipart fields, leaving out unset ones", async () => {
    const form = toTranscriptionForm({ ...request("srt"), language: "en", prompt: "names", temperature: 0.2 });
    const file = form.get("file") as File;
    expect([file.name, file.size, file.type]).toEqual(["a.wav", 3, "audio/wav"]);
    expect([form.get("model"), form.get("response_format"), form.get("language"), form.get("prompt"), form.get("temperature")]).toEqual([
      "whisper-1",
      "srt",
      "en",
      "names",
      "0.2",
    ]);
    const bare = toTranscriptionForm(request("json"));
    expect([bare.has("language"), bare.has("prompt"), bare.has("temperature")]).toEqual([false, false, false]);
  });

  it("reads JSON answers, keeping the body byte for byte", () => {
    const tokens = JSON.stringify({ text: "hello", usage: { type: "tokens", input_tokens: 12, output_tokens: 3, total_tokens: 15 } });
    expect(fromTranscriptionBody(tokens, request("json"), "p")).toEqual({
      text: "hello",
      body: tokens,
      usage: { inputTokens: 12, outputTokens: 3, cachedInputTokens: 0, cacheWriteTokens: 0, estimated: false },
    });
    const verbose = JSON.stringify({ task: "transcribe", duration: 1.5, text: "hi", segments: [], usage: { type: "duration", seconds: 2 } });
    expect(fromTranscriptionBody(verbose, request("verbose_json"), "p")).toEqual({ text: "hi", body: verbose, durationSeconds: 1.5 });
    expect(fromTranscriptionBody('{"text":"x","usage":{"type":"duration","seconds":4}}', request("json"), "p").durationSeconds).toBe(4);
    expect(thrown(() => fromTranscriptionBody("hello", request("json"), "p")).kind).toBe("malformed_response");
    expect(thrown(() => fromTranscriptionBody('{"transcript":"x"}', request("json"), "p")).kind).toBe("malformed_response");
  });

  it("reads text and subtitle answers as plain text", () => {
    expect(fromTranscriptionBody("hello there\n", request("text"), "p")).toEqual({ text: "hello there", body: "hello there\n" });
    const srt = "1\r\n00:00:00,000 --> 00:00:01,500\r\nhello\r\nthere\r\n\r\n2\r\n00:00:01,500 --> 00:00:03,000\r\nworld\r\n";
    expect(fromTranscriptionBody(srt, request("srt"), "p")).toEqual({ text: "hello there world", body: srt });
  });
});

describe("subtitleText", () => {
  it("drops the WebVTT header, notes, styles, cue identifiers, timings and tags", () => {
    const vtt = [
      "WEBVTT - a title",
      "",
      "NOTE this is not spoken",
      "",
      "STYLE",
      "::cue { color: red }",
      "",
      "intro",
      "00:00.000 --> 00:01.000 align:start",
      "<v Ann>hello</v> <b>there</b>",
      "",
      "00:01.000 --> 00:02.000",
      "world",
      "",
    ].join("\n");
    expect(subtitleText(vtt)).toBe("hello there world");
    expect(subtitleText("")).toBe("");
  });
});
