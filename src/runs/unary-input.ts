import type { TranscriptionRequest } from "../shared/model-types.js";
import type { RunAttribution } from "./run-records.js";

// The inputs of one-shot runs; their validation is with every run kind's in run-input.ts.

// Kept importable from here, where the transports found them first.
export { maxAudioBytes, maxEmbeddingDimensions } from "./input-limits.js";

export interface EmbedInput extends Omit<RunAttribution, "caller" | "requestedModel"> {
  model?: string;
  inputs: string[];
  dimensions?: number;
}

export interface TranscribeInput extends Omit<RunAttribution, "caller" | "requestedModel">, Omit<TranscriptionRequest, "upstreamModel"> {
  model?: string;
}
