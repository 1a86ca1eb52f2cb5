import { createHash } from "node:crypto";
import { countTextTokens } from "../../governance/tokens.js";
import type { EmbeddingsRequest, EmbeddingsResult, TranscriptionRequest, TranscriptionResult } from "../types.js";

const defaultDimensions = 16;

/** Unit vectors derived from a hash of each text: equal texts embed equally, different texts differ. */
export function deterministicEmbeddings(request: EmbeddingsRequest): EmbeddingsResult {
  const dimensions = request.dimensions ?? defaultDimensions;
  const vectors = request.inputs.map((text) => {
    const raw = Array.from({ length: dimensions }, (_, index) => {
      const digest = createHash("sha256").update(`${index}:${text}`).digest();
      return digest.readInt32BE(0) / 2 ** 31;
    });
    const norm = Math.hypot(...raw) || 1;
    return raw.map((value) => value / norm);
  });
  const inputTokens = request.inputs.reduce((sum, text) => sum + countTextTokens(text), 0);
  return { vectors, usage: { inputTokens, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, estimated: false } };
}

/** A transcript that names the file it was given, in the requested format. */
export function deterministicTranscription(request: TranscriptionRequest): TranscriptionResult {
  const text = `transcript of ${request.fileName} (${request.audio.byteLength} bytes)`;
  const durationSeconds = 1;
  const bodies = {
    json: () => JSON.stringify({ text }),
    verbose_json: () =>
      JSON.stringify({ task: "transcribe", language: request.language ?? "english", duration: durationSeconds, text, segments: [{ id: 0, start: 0, end: durationSeconds, text }] }),
    text: () => `${text}\n`,
    srt: () => `1\n00:00:00,000 --> 00:00:01,000\n${text}\n\n`,
    vtt: () => `WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n${text}\n\n`,
  } satisfies Record<TranscriptionRequest["responseFormat"], () => string>;
  return { text, body: bodies[request.responseFormat](), durationSeconds };
}
