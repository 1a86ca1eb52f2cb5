import { invalidRequest } from "../shared/errors.js";
import type { TranscriptionRequest } from "../shared/model-types.js";
import { maxIdLength } from "./input-limits.js";
import { validateRunIds } from "./run-input.js";
import type { RunAttribution } from "./run-records.js";

/** The largest batch one embeddings call may carry (OpenAI's own limit). */
export const maxEmbeddingInputs = 2048;
/** The largest audio file a transcription may carry (OpenAI's own limit). */
export const maxAudioBytes = 25 * 1024 * 1024;
/** Embedding dimensions: above every model's width (OpenAI's largest is 3,072). */
export const maxEmbeddingDimensions = 8192;
/** Values one embeddings answer may hold: OpenAI's largest batch of its widest model (2,048 x 3,072). */
export const maxEmbeddingValues = 2048 * 3072;
/** A transcription prompt is a hint of a few hundred tokens upstream. */
const maxTranscriptionPromptChars = 4096;

export interface EmbedInput extends Omit<RunAttribution, "caller" | "requestedModel"> {
  model?: string;
  inputs: string[];
  dimensions?: number;
}

export interface TranscribeInput extends Omit<RunAttribution, "caller" | "requestedModel">, Omit<TranscriptionRequest, "upstreamModel"> {
  model?: string;
}

export function validateEmbedInput(input: EmbedInput): void {
  validateRunIds(input);
  if (input.inputs.length === 0) throw invalidRequest("input", "at least one input is required");
  if (input.inputs.length > maxEmbeddingInputs) throw invalidRequest("input", `at most ${maxEmbeddingInputs} inputs are allowed per request`);
  const empty = input.inputs.findIndex((text) => text.length === 0);
  if (empty >= 0) throw invalidRequest(`input[${empty}]`, "must not be empty");
  if (input.dimensions !== undefined && !(Number.isInteger(input.dimensions) && input.dimensions > 0 && input.dimensions <= maxEmbeddingDimensions)) {
    throw invalidRequest("dimensions", `must be a positive integer no larger than ${maxEmbeddingDimensions}`);
  }
  if (input.dimensions !== undefined && input.dimensions * input.inputs.length > maxEmbeddingValues) {
    throw invalidRequest("dimensions", `${input.inputs.length} inputs of ${input.dimensions} dimensions pass the ${maxEmbeddingValues} values one answer may hold`);
  }
}

export function validateTranscribeInput(input: TranscribeInput): void {
  validateRunIds(input);
  if (input.fileName.length > maxIdLength) throw invalidRequest("file", `the file name must be at most ${maxIdLength} characters`);
  if (input.mimeType.length > maxIdLength) throw invalidRequest("file", `the content type must be at most ${maxIdLength} characters`);
  if ((input.language?.length ?? 0) > 32) throw invalidRequest("language", "must be a language code such as en or pt-BR");
  if ((input.prompt?.length ?? 0) > maxTranscriptionPromptChars) throw invalidRequest("prompt", `must be at most ${maxTranscriptionPromptChars} characters`);
  if (input.audio.byteLength === 0) throw invalidRequest("file", "the audio file is empty");
  if (input.audio.byteLength > maxAudioBytes) throw invalidRequest("file", `the audio file is larger than ${maxAudioBytes / 1024 / 1024} MB`);
  if (input.temperature !== undefined && !(input.temperature >= 0 && input.temperature <= 1)) {
    throw invalidRequest("temperature", "must be between 0 and 1");
  }
}
