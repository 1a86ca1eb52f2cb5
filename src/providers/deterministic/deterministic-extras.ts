import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { EmbeddingsRequest, EmbeddingsResult, TranscriptionRequest, TranscriptionResult } from "../../shared/model-types.js";
import { countTextsTokens } from "../../shared/tokens.js";

const defaultDimensions = 16;

/**
 * A real, if simple, embedding: each text's character trigrams (lower-cased, whitespace folded, padded
 * so word starts and ends count) are hashed into the dimensions with a hashed sign, then the sum is
 * scaled to unit length. Texts sharing words share trigrams, so similar texts score a higher cosine
 * than unrelated ones; equal texts embed equally. Linear in the text, and the batch gives way to
 * other callers between texts.
 */
export async function deterministicEmbeddings(request: EmbeddingsRequest): Promise<EmbeddingsResult> {
  const dimensions = request.dimensions ?? defaultDimensions;
  const vectors: number[][] = [];
  for (const text of request.inputs) {
    vectors.push(ngramEmbedding(text, dimensions));
    if (vectors.length % 64 === 0) await yieldToEventLoop();
  }
  const inputTokens = await countTextsTokens(request.inputs);
  return { vectors, usage: { inputTokens, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, estimated: false } };
}

const ngramLength = 3;

/** The unit-length hashed trigram vector of one text (a text with no letters gets the first axis). */
export function ngramEmbedding(text: string, dimensions: number): number[] {
  const sums = new Float64Array(dimensions);
  const folded = ` ${text.toLowerCase().replace(/\s+/g, " ").trim()} `;
  for (let start = 0; start + ngramLength <= folded.length; start++) {
    const hash = fnv1a(folded, start, start + ngramLength);
    // The lowest bit picks the sign, the rest the dimension: collisions cancel out on average.
    const index = (hash >>> 1) % dimensions;
    sums[index] = (sums[index] ?? 0) + (hash & 1 ? 1 : -1);
  }
  let squares = 0;
  for (const value of sums) squares += value * value;
  if (squares === 0) return Array.from({ length: dimensions }, (_, index) => (index === 0 ? 1 : 0));
  const norm = Math.sqrt(squares);
  return Array.from(sums, (value) => value / norm);
}

/** 32-bit FNV-1a over the UTF-16 code units of text[start, end): fast, and spreads short strings well. */
function fnv1a(text: string, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let index = start; index < end; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
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
