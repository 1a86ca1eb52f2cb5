/**
 * The one internal request/response model every provider translates to and from its wire format.
 * Nothing outside a provider's folder knows a wire format.
 */
import type { ProviderKind } from "./provider-kinds.js";

export type Role = "system" | "developer" | "user" | "assistant" | "tool";

export type ContentPart = { type: "text"; text: string } | { type: "image"; url: string; detail?: string };

export interface ToolCall {
  id: string;
  name: string;
  /** Arguments as JSON text, as the model produced them. */
  argumentsJson: string;
}

export interface ChatMessage {
  role: Role;
  parts: ContentPart[];
  name?: string;
  toolCalls?: ToolCall[];
  toolCallId?: string;
}

export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments, as JSON text. */
  parametersJson?: string;
  strict?: boolean;
}

export type ToolChoice = { mode: "auto" | "none" | "required" } | { mode: "function"; name: string };

export type ResponseFormat = { kind: "text" } | { kind: "json_object" } | { kind: "json_schema"; name: string; schemaJson: string; strict: boolean };

export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter";

/** Token usage. Cached and cache-write tokens are subsets of inputTokens, never added to it. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  /** True when the gateway counted tokens because the upstream reported none. */
  estimated: boolean;
}

export interface ChatRequest {
  /** The model name the upstream knows. */
  upstreamModel: string;
  messages: ChatMessage[];
  tools: ToolDefinition[];
  toolChoice?: ToolChoice;
  responseFormat?: ResponseFormat;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop: string[];
  user?: string;
  /** The run's agent: its own auth profile for the provider, if any, replaces the global one. */
  agentId?: string;
  /**
   * The caller reads the answer whole: HTTP providers ask the upstream for a non-streaming answer
   * (whose usage is exact) and yield it as the events a stream would have given, text in one piece.
   */
  wholeAnswer?: boolean;
}

/** What a provider streams back while it answers. */
export type ChatStreamEvent =
  | { type: "text"; text: string }
  | { type: "tool_call"; index: number; id?: string; name?: string; argumentsFragment: string }
  | { type: "usage"; usage: Usage }
  | { type: "finish"; reason: FinishReason };

export interface EmbeddingsRequest {
  upstreamModel: string;
  inputs: string[];
  /** Output dimensions, for models that can shorten their vectors. */
  dimensions?: number;
  user?: string;
  agentId?: string;
}

export interface EmbeddingsResult {
  vectors: number[][];
  usage: Usage;
}

export const transcriptionFormats = ["json", "text", "srt", "verbose_json", "vtt"] as const;
export type TranscriptionFormat = (typeof transcriptionFormats)[number];

export interface TranscriptionRequest {
  upstreamModel: string;
  audio: Uint8Array;
  fileName: string;
  mimeType: string;
  language?: string;
  prompt?: string;
  responseFormat: TranscriptionFormat;
  temperature?: number;
  agentId?: string;
}

export interface TranscriptionResult {
  /** The transcript as plain text. */
  text: string;
  /** The upstream's answer in the requested format, byte for byte (JSON text, SRT, VTT or text). */
  body: string;
  durationSeconds?: number;
  usage?: Usage;
}

/** One configured upstream. Chat is required; embeddings and transcription where the kind has them. */
export interface ModelProvider {
  readonly providerId: string;
  readonly kind: ProviderKind;
  /** Streams the answer; aborting the signal stops the upstream request. */
  streamChat(request: ChatRequest, signal: AbortSignal): AsyncIterable<ChatStreamEvent>;
  embed?(request: EmbeddingsRequest, signal: AbortSignal): Promise<EmbeddingsResult>;
  transcribe?(request: TranscriptionRequest, signal: AbortSignal): Promise<TranscriptionResult>;
  /** The model names the upstream offers; absent for kinds with nothing to list (deterministic). */
  listModels?(signal: AbortSignal): Promise<string[]>;
}

export const emptyUsage: Usage = {
  inputTokens: 0,
  outputTokens: 0,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  estimated: false,
};
