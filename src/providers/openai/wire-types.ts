/**
 * The OpenAI wire format, as far as the gateway sends and reads it. Answers are typed loosely
 * (optional, nullable) because OpenAI-compatible servers differ in what they fill in; the parsers
 * check what they rely on.
 */

export type WireTextPart = { type: "text"; text: string };
export type WireImagePart = { type: "image_url"; image_url: { url: string; detail?: string } };
export type WireContent = string | (WireTextPart | WireImagePart)[];

export interface WireToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export type WireMessage =
  | { role: "system" | "developer"; content: WireContent; name?: string }
  | { role: "user"; content: WireContent; name?: string }
  | { role: "assistant"; content: WireContent | null; name?: string; tool_calls?: WireToolCall[] }
  | { role: "tool"; content: WireContent; tool_call_id: string };

export interface WireTool {
  type: "function";
  function: { name: string; description?: string; parameters?: unknown; strict?: boolean };
}

export type WireToolChoice = "auto" | "none" | "required" | { type: "function"; function: { name: string } };

export type WireResponseFormat =
  | { type: "text" }
  | { type: "json_object" }
  | { type: "json_schema"; json_schema: { name: string; schema: unknown; strict: boolean } };

export interface WireChatRequest {
  model: string;
  messages: WireMessage[];
  stream: boolean;
  /** Streams only: without it OpenAI reports no usage on a stream. */
  stream_options?: { include_usage: true };
  tools?: WireTool[];
  tool_choice?: WireToolChoice;
  response_format?: WireResponseFormat;
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  stop?: string[];
  user?: string;
}

export interface WireUsage {
  prompt_tokens?: number | null;
  completion_tokens?: number | null;
  total_tokens?: number | null;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
}

export interface WireToolCallDelta {
  index?: number;
  id?: string | null;
  type?: string;
  function?: { name?: string | null; arguments?: string | null } | null;
}

/** The assistant's answer: a stream's `delta` (a piece of it) or a whole answer's `message`. */
export interface WireAnswerPart {
  role?: string | null;
  content?: string | null;
  tool_calls?: WireToolCallDelta[] | null;
  /** The pre-tools API; some older servers still send it. */
  function_call?: { name?: string | null; arguments?: string | null } | null;
}

export interface WireChunkChoice {
  index?: number;
  delta?: WireAnswerPart | null;
  finish_reason?: string | null;
}

export interface WireCompletionChoice {
  index?: number;
  message?: WireAnswerPart | null;
  finish_reason?: string | null;
}

/** What a streamed frame and a whole answer both carry besides their choices. */
interface WireAnswerEnvelope {
  usage?: WireUsage | null;
  /** Groq reports usage here (on a stream, on the last chunk). */
  x_groq?: { usage?: WireUsage | null } | null;
  error?: WireErrorBody;
}

/** One `data:` frame of a streamed chat completion. */
export interface WireChatChunk extends WireAnswerEnvelope {
  choices?: WireChunkChoice[] | null;
}

/** A non-streamed chat completion: the whole answer in one JSON body. */
export interface WireChatCompletion extends WireAnswerEnvelope {
  choices?: WireCompletionChoice[] | null;
}

/** The `error` object upstreams put in error bodies and, mid-stream, in data frames. */
export interface WireErrorBody {
  message?: unknown;
  type?: unknown;
  code?: unknown;
  param?: unknown;
  status?: unknown;
}

export interface WireEmbeddingsRequest {
  model: string;
  input: string[];
  encoding_format: "float";
  dimensions?: number;
  user?: string;
}

export interface WireEmbeddingsResponse {
  data?: { index?: unknown; embedding?: unknown }[];
  usage?: WireUsage | null;
  error?: WireErrorBody;
}

/** The JSON transcription answer (json and verbose_json). */
export interface WireTranscription {
  text?: unknown;
  duration?: unknown;
  usage?: {
    type?: unknown;
    input_tokens?: unknown;
    output_tokens?: unknown;
    seconds?: unknown;
  } | null;
}
