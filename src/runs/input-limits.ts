import { clip } from "../shared/clip.js";
import { invalidRequest } from "../shared/errors.js";
import { jsonNestsDeeperThan, maxJsonDepth } from "../shared/json-depth.js";

// Bounds on what a caller sends, checked before a run is admitted. Anything stored with a run, echoed in
// an error or logged is bounded here, so no request can bloat the ledger, an error header or a log line.

/** Model names, request ids, approval ids and agent/session/user ids: ids, not documents. */
export const maxIdLength = 256;
/** max_tokens: the int32 range every upstream API accepts; larger is no model's output. */
export const maxOutputTokens = 2_147_483_647;
/** OpenAI's own limit on stop sequences per request. */
export const maxStopSequences = 4;
/** OpenAI's own limit on tools per request. */
export const maxTools = 128;
/** OpenAI's own metadata limits: 16 pairs, keys up to 64 characters, values up to 512. */
export const metadataLimits = { entries: 16, keyLength: 64, valueLength: 512 } as const;

/** The largest batch one embeddings call may carry (OpenAI's own limit). */
export const maxEmbeddingInputs = 2048;
/** The largest audio file a transcription may carry (OpenAI's own limit). */
export const maxAudioBytes = 25 * 1024 * 1024;
/** Embedding dimensions: above every model's width (OpenAI's largest is 3,072). */
export const maxEmbeddingDimensions = 8192;
/** Values one embeddings answer may hold: OpenAI's largest batch of its widest model (2,048 x 3,072). */
export const maxEmbeddingValues = 2048 * 3072;
/** A transcription prompt is a hint of a few hundred tokens upstream. */
export const maxTranscriptionPromptChars = 4096;

/** Throws an invalid_request error naming `param` when an id is too long or holds control characters. */
export function checkId(param: string, value: string | undefined, what: string): void {
  if (value === undefined) return;
  if (value.length > maxIdLength) throw invalidRequest(param, `${what} must be at most ${maxIdLength} characters`);
  // Control characters would end up in logs, CLI tables and policy scope ids.
  if (/[\u0000-\u001f\u007f]/.test(value)) throw invalidRequest(param, `${what} must not contain control characters`);
}

/** Throws naming `param` unless the text is a JSON object nested at most maxJsonDepth deep. */
export function checkJsonObjectText(param: string, text: string): void {
  checkJsonDepth(param, text);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidRequest(param, "is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalidRequest(param, "must be a JSON object");
}

/** Throws naming `param` when JSON text nests deeper than maxJsonDepth (text that is not JSON is left alone). */
export function checkJsonDepth(param: string, text: string): void {
  if (jsonNestsDeeperThan(text)) throw invalidRequest(param, `nests deeper than ${maxJsonDepth} levels`);
}

/** Throws naming the entry at fault when metadata passes OpenAI's limits. */
export function checkMetadata(metadata: Record<string, string>): void {
  const entries = Object.entries(metadata);
  if (entries.length > metadataLimits.entries) throw invalidRequest("metadata", `at most ${metadataLimits.entries} entries are allowed`);
  for (const [key, value] of entries) {
    if (key.length > metadataLimits.keyLength) throw invalidRequest("metadata", `keys must be at most ${metadataLimits.keyLength} characters`);
    if (value.length > metadataLimits.valueLength) throw invalidRequest(`metadata.${key}`, `must be at most ${metadataLimits.valueLength} characters`);
  }
}

/** A caller's words kept for the record (a cancel reason): cut to a length a log line and the ledger can hold. */
export function clipReason(reason: string): string {
  return clip(reason, 512);
}

/** A caller's value quoted in an error message, cut short: errors travel in headers (grpc-message) that must stay small. */
export function shown(value: string): string {
  return JSON.stringify(clip(value, 64));
}
