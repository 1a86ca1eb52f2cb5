import { invalidRequest } from "../errors.js";
import type { TranscriptionRequest } from "../providers/types.js";
import { validateAttribution } from "./run-input.js";
import type { RunAttribution } from "./run-records.js";

/** The largest batch one embeddings call may carry (OpenAI's own limit). */
export const maxEmbeddingInputs = 2048;
/** The largest audio file a transcription may carry (OpenAI's own limit). */
export const maxAudioBytes = 25 * 1024 * 1024;

export interface EmbedInput extends Omit<RunAttribution, "caller" | "requestedModel"> {
  model?: string;
  inputs: string[];
  dimensions?: number;
}

export interface TranscribeInput extends Omit<RunAttribution, "caller" | "requestedModel">, Omit<TranscriptionRequest, "upstreamModel"> {
  model?: string;
}

export function validateEmbedInput(input: EmbedInput): void {
  validateAttribution(input);
  if (input.inputs.length === 0) throw invalidRequest("input", "at least one input is required");
  if (input.inputs.length > maxEmbeddingInputs) throw invalidRequest("input", `at most ${maxEmbeddingInputs} inputs are allowed per request`);
  const empty = input.inputs.findIndex((text) => text.length === 0);
  if (empty >= 0) throw invalidRequest(`input[${empty}]`, "must not be empty");
  if (input.dimensions !== undefined && !(Number.isInteger(input.dimensions) && input.dimensions > 0)) {
    throw invalidRequest("dimensions", "must be a positive integer");
  }
}

export function validateTranscribeInput(input: TranscribeInput): void {
  validateAttribution(input);
  if (input.audio.byteLength === 0) throw invalidRequest("file", "the audio file is empty");
  if (input.audio.byteLength > maxAudioBytes) throw invalidRequest("file", `the audio file is larger than ${maxAudioBytes / 1024 / 1024} MB`);
  if (input.temperature !== undefined && !(input.temperature >= 0 && input.temperature <= 1)) {
    throw invalidRequest("temperature", "must be between 0 and 1");
  }
}
