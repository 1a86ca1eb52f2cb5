import { createHash } from "node:crypto";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { EmbeddingsRequest, EmbeddingsResult, TranscriptionRequest, TranscriptionResult } from "../../shared/model-types.js";
import { countTextsTokens } from "../../shared/tokens.js";

const defaultDimensions = 16;

/**
 * Unit vectors derived from a hash of each text: equal texts embed equally, different texts differ.
 * One hash seeds a small generator per text (a hash per value made 2,048 inputs x 3,072 dimensions
 * cost seconds), and the batch gives way to other callers between texts.
 */
export async function deterministicEmbeddings(request: EmbeddingsRequest): Promise<EmbeddingsResult> {
  const dimensions = request.dimensions ?? defaultDimensions;
  const vectors: number[][] = [];
  for (const text of request.inputs) {
    vectors.push(unitVector(createHash("sha256").update(text).digest(), dimensions));
    if (vectors.length % 64 === 0) await yieldToEventLoop();
  }
  const inputTokens = await countTextsTokens(request.inputs);
  return { vectors, usage: { inputTokens, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, estimated: false } };
}

/** xorshift32 from the digest's first word: cheap, and the same seed always gives the same vector. */
function unitVector(digest: Buffer, dimensions: number): number[] {
  let state = digest.readUInt32BE(0) || 1;
  const raw = new Array<number>(dimensions);
  let squares = 0;
  for (let index = 0; index < dimensions; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const value = (state | 0) / 2 ** 31;
    raw[index] = value;
    squares += value * value;
  }
  const norm = Math.sqrt(squares) || 1;
  return raw.map((value) => value / norm);
}

/** A transcript that names the file it was given, in the requested format. */
export function deterministicTranscription(request: TranscriptionRequest): TranscriptionResult {
  const text = `transcript of ${request.fileName} (${request.audio.byteLength} bytes)`;
  const durationSeconds = 1;
  const bodies = {
    json: () => JSON.stringify({ text }),
    verbose_json: () =>
      JSON.stringify({
        task: "transcribe",
        language: request.language ?? "english",
        duration: durationSeconds,
        text,
        segments: [{ id: 0, start: 0, end: durationSeconds, text }],
      }),
    text: () => `${text}\n`,
    srt: () => `1\n00:00:00,000 --> 00:00:01,000\n${text}\n\n`,
    vtt: () => `WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n${text}\n\n`,
  } satisfies Record<TranscriptionRequest["responseFormat"], () => string>;
  return { text, body: bodies[request.responseFormat](), durationSeconds };
}
