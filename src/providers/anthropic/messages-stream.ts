import { type ErrorKind, GatewayError } from "../../shared/errors.js";
import type { ChatStreamEvent, FinishReason, Usage } from "../../shared/model-types.js";
import { sanitizeUpstreamText } from "../../shared/sanitize-upstream.js";
import type { SseEvent } from "../sse.js";
import { parseJsonObject } from "../wire-json.js";
import type { AnthropicErrorBody, AnthropicStopReason, AnthropicUsage } from "./messages-wire.js";

// How each stop reason reads in the internal model. pause_turn (a server tool paused a long turn)
// ends this response normally; the caller may continue the conversation.
const finishReasons: Record<AnthropicStopReason, FinishReason> = {
  end_turn: "stop",
  stop_sequence: "stop",
  pause_turn: "stop",
  max_tokens: "length",
  tool_use: "tool_calls",
  refusal: "content_filter",
};

// How the `error` event's type reads in the gateway's error vocabulary.
const streamErrorKinds: Record<string, ErrorKind> = {
  overloaded_error: "transient",
  api_error: "transient",
  timeout_error: "timeout",
  rate_limit_error: "rate_limit",
  authentication_error: "auth",
  permission_error: "permission",
  billing_error: "quota",
  request_too_large: "context_overflow",
  invalid_request_error: "permanent",
  not_found_error: "permanent",
};

/** Anthropic reports cache reads and writes beside input_tokens; ours are subsets of the input. */
export function fromAnthropicUsage(usage: Record<keyof AnthropicUsage, number>): Usage {
  const { input_tokens, output_tokens, cache_read_input_tokens, cache_creation_input_tokens } = usage;
  return {
    inputTokens: input_tokens + cache_read_input_tokens + cache_creation_input_tokens,
    outputTokens: output_tokens,
    cachedInputTokens: cache_read_input_tokens,
    cacheWriteTokens: cache_creation_input_tokens,
    estimated: false,
  };
}

/** An `error` body that came with a 200 (the stream's error event, or a whole answer), classified by its type. */
export function errorFromAnthropicBody(body: AnthropicErrorBody, providerId: string, what: string): GatewayError {
  const errorType = typeof body.error?.type === "string" ? body.error.type : "unknown_error";
  // Unknown types are most likely server trouble, so they may be retried.
  const kind = streamErrorKinds[errorType] ?? "transient";
  const message = typeof body.error?.message === "string" ? body.error.message : "no details";
  return new GatewayError(kind, `provider "${providerId}" ${what} (${errorType}): ${sanitizeUpstreamText(message)}`, {
    code: `upstream_${kind}`,
  });
}

/** Maps an Anthropic stop reason; reasons newer than this code end the answer normally. */
export function toFinishReason(stopReason: string): FinishReason {
  return finishReasons[stopReason as AnthropicStopReason] ?? "stop";
}

/**
 * Turns Anthropic's stream events, one at a time, into internal stream events. It keeps only what
 * the translation needs: which content blocks are tool calls, and the usage reported so far.
 */
export class MessagesStreamParser {
  /** Content-block index -> tool-call index, for tool_use blocks only. */
  private readonly toolCallIndexes = new Map<number, number>();
  private readonly usage: Record<keyof AnthropicUsage, number> = {
    input_tokens: 0,
    output_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation_input_tokens: 0,
  };
  private usageReported = false;
  private stopped = false;

  constructor(private readonly providerId: string) {}

  /** True once message_stop arrived: the answer is complete. */
  get complete(): boolean {
    return this.stopped;
  }

  /** Translates one SSE event into the internal events it stands for (often none). */
  push(sse: SseEvent): ChatStreamEvent[] {
    if (this.stopped) return [];
    const data = this.parse(sse.data);
    const type = typeof data.type === "string" ? data.type : sse.event;
    switch (type) {
      case "message_start":
        this.addUsage((data.message as { usage?: AnthropicUsage } | undefined)?.usage);
        return [];
      case "content_block_start":
        return this.blockStart(data);
      case "content_block_delta":
        return this.blockDelta(data);
      case "message_delta": {
        this.addUsage(data.usage as AnthropicUsage | undefined);
        const stopReason = (data.delta as { stop_reason?: unknown } | undefined)?.stop_reason;
        return typeof stopReason === "string" ? [{ type: "finish", reason: toFinishReason(stopReason) }] : [];
      }
      case "message_stop":
        this.stopped = true;
        // Upstreams that report no usage get none here; the run engine counts tokens itself then.
        return this.usageReported ? [{ type: "usage", usage: this.totalUsage() }] : [];
      case "error":
        throw this.streamError(data as unknown as AnthropicErrorBody);
      default:
        // ping, content_block_stop, and event types newer than this code carry nothing we translate.
        return [];
    }
  }

  /** Called when the body ended: a stream without message_stop was cut off. */
  end(): void {
    if (!this.stopped) {
      throw new GatewayError("network", `provider "${this.providerId}" stream ended early, before message_stop`, { code: "upstream_network" });
    }
  }

  private blockStart(data: Record<string, unknown>): ChatStreamEvent[] {
    const block = data.content_block as { type?: unknown; id?: unknown; name?: unknown; text?: unknown } | undefined;
    if (block?.type === "text") return typeof block.text === "string" && block.text !== "" ? [{ type: "text", text: block.text }] : [];
    if (block?.type !== "tool_use") return [];
    if (typeof data.index !== "number" || typeof block.id !== "string" || typeof block.name !== "string") {
      throw this.malformed("a tool_use block without index, id or name");
    }
    const index = this.toolCallIndexes.size;
    this.toolCallIndexes.set(data.index, index);
    return [{ type: "tool_call", index, id: block.id, name: block.name, argumentsFragment: "" }];
  }

  private blockDelta(data: Record<string, unknown>): ChatStreamEvent[] {
    const delta = data.delta as { type?: unknown; text?: unknown; partial_json?: unknown } | undefined;
    if (delta?.type === "text_delta" && typeof delta.text === "string") return delta.text === "" ? [] : [{ type: "text", text: delta.text }];
    if (delta?.type !== "input_json_delta") return []; // thinking and signature deltas are not part of the answer
    const index = typeof data.index === "number" ? this.toolCallIndexes.get(data.index) : undefined;
    if (index === undefined || typeof delta.partial_json !== "string") throw this.malformed("an input_json_delta outside a tool_use block");
    return delta.partial_json === "" ? [] : [{ type: "tool_call", index, argumentsFragment: delta.partial_json }];
  }

  /** Anthropic's usage counts are cumulative: later values replace earlier ones. */
  private addUsage(usage: AnthropicUsage | null | undefined): void {
    if (usage === undefined || usage === null) return;
    for (const key of Object.keys(this.usage) as (keyof AnthropicUsage)[]) {
      const value = usage[key];
      if (typeof value === "number" && Number.isFinite(value)) {
        this.usage[key] = value;
        this.usageReported = true;
      }
    }
  }

  private totalUsage(): Usage {
    return fromAnthropicUsage(this.usage);
  }

  private streamError(body: AnthropicErrorBody): GatewayError {
    return errorFromAnthropicBody(body, this.providerId, "stream failed");
  }

  private parse(text: string): Record<string, unknown> {
    return parseJsonObject(text, (problem) => this.malformed(`an event whose data is ${problem}`));
  }

  private malformed(what: string): GatewayError {
    return anthropicMalformed(this.providerId, what);
  }
}

/** A Messages API answer or event that does not hold what the API promises. */
export function anthropicMalformed(providerId: string, what: string): GatewayError {
  return new GatewayError("malformed_response", `provider "${providerId}" sent ${what}`, { code: "upstream_malformed_response" });
}

/** Translates a whole stream as it arrives; throws when it ends before message_stop. */
export async function* parseMessagesStream(events: AsyncIterable<SseEvent>, providerId: string): AsyncIterable<ChatStreamEvent> {
  const parser = new MessagesStreamParser(providerId);
  for await (const event of events) yield* parser.push(event);
  parser.end();
}
