import { setTimeout as sleep } from "node:timers/promises";
import type {
  ChatMessage,
  ChatRequest,
  ChatStreamEvent,
  EmbeddingsRequest,
  EmbeddingsResult,
  FinishReason,
  ModelProvider,
  TranscriptionRequest,
  TranscriptionResult,
} from "../../shared/model-types.js";
import { countPromptTokens, countTextsTokens, countTextTokens, truncateToTokens } from "../../shared/tokens.js";
import { deterministicEmbeddings, deterministicTranscription } from "./deterministic-extras.js";

export interface DeterministicProviderOptions {
  providerId: string;
  /** Pause between streamed chunks, to stand in for a slow model. */
  chunkDelayMs?: number;
}

/**
 * A local provider that needs no network: it echoes the last user message back in several chunks
 * and reports exact usage. It makes the daemon useful out of the box and gives tests and benchmarks
 * an upstream whose answers are known in advance.
 */
export class DeterministicProvider implements ModelProvider {
  readonly kind = "deterministic" as const;
  readonly providerId: string;
  private readonly chunkDelayMs: number;

  constructor(options: DeterministicProviderOptions) {
    this.providerId = options.providerId;
    this.chunkDelayMs = options.chunkDelayMs ?? 0;
  }

  async *streamChat(request: ChatRequest, signal: AbortSignal): AsyncIterable<ChatStreamEvent> {
    const inputTokens = await countPromptTokens(request.messages, request.tools);
    const forcedTool = pickForcedTool(request);
    let finish: FinishReason = "stop";
    let outputTokens: number;

    if (forcedTool !== undefined) {
      const argumentsJson = JSON.stringify({ input: lastUserText(request.messages) });
      yield* this.paced(signal, [
        { type: "tool_call", index: 0, id: `call_${stableSuffix(argumentsJson)}`, name: forcedTool, argumentsFragment: "" },
        ...splitIntoChunks(argumentsJson).map((fragment): ChatStreamEvent => ({ type: "tool_call", index: 0, argumentsFragment: fragment })),
      ]);
      outputTokens = countTextTokens(forcedTool) + (await countTextsTokens([argumentsJson]));
      finish = "tool_calls";
    } else {
      let reply = composeReply(request);
      if (request.maxTokens !== undefined) {
        const cut = await truncateToTokens(reply, request.maxTokens);
        reply = cut.text;
        outputTokens = cut.tokens;
        if (cut.truncated) finish = "length";
      } else {
        outputTokens = await countTextsTokens([reply]);
      }
      yield* this.paced(
        signal,
        splitIntoChunks(reply).map((text): ChatStreamEvent => ({ type: "text", text })),
      );
    }

    yield { type: "finish", reason: finish };
    yield {
      type: "usage",
      usage: { inputTokens, outputTokens, cachedInputTokens: 0, cacheWriteTokens: 0, estimated: false },
    };
  }

  async embed(request: EmbeddingsRequest, signal: AbortSignal): Promise<EmbeddingsResult> {
    signal.throwIfAborted();
    return await deterministicEmbeddings(request);
  }

  async transcribe(request: TranscriptionRequest, signal: AbortSignal): Promise<TranscriptionResult> {
    signal.throwIfAborted();
    return deterministicTranscription(request);
  }

  private async *paced(signal: AbortSignal, events: ChatStreamEvent[]): AsyncIterable<ChatStreamEvent> {
    for (const event of events) {
      signal.throwIfAborted();
      if (this.chunkDelayMs > 0) await sleep(this.chunkDelayMs, undefined, { signal });
      yield event;
    }
  }
}

function composeReply(request: ChatRequest): string {
  const text = lastUserText(request.messages);
  if (request.responseFormat?.kind === "json_object" || request.responseFormat?.kind === "json_schema") {
    return JSON.stringify({ echo: text });
  }
  return text.length > 0 ? text : "(empty message)";
}

function lastUserText(messages: readonly ChatMessage[]): string {
  const last = [...messages].reverse().find((message) => message.role === "user");
  if (last === undefined) return "";
  return last.parts.map((part) => (part.type === "text" ? part.text : "[image]")).join(" ");
}

/** The tool the request obliges the model to call, if any. */
function pickForcedTool(request: ChatRequest): string | undefined {
  const choice = request.toolChoice;
  if (choice?.mode === "function") return choice.name;
  if (choice?.mode === "required") return request.tools[0]?.name;
  return undefined;
}

/** Splits text into about four chunks on word boundaries, so streams have several deltas. */
export function splitIntoChunks(text: string): string[] {
  const words = text.match(/\S+\s*|\s+/g) ?? [];
  if (words.length === 0) return text.length > 0 ? [text] : [];
  const perChunk = Math.max(1, Math.ceil(words.length / 4));
  const chunks: string[] = [];
  for (let start = 0; start < words.length; start += perChunk) {
    chunks.push(words.slice(start, start + perChunk).join(""));
  }
  return chunks;
}

/** A stable id suffix, so the same request always yields the same tool-call id. */
function stableSuffix(seed: string): string {
  let hash = 0;
  for (let index = 0; index < seed.length; index++) hash = (hash * 31 + seed.charCodeAt(index)) >>> 0;
  return hash.toString(36).padStart(7, "0");
}
