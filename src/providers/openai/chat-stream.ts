import { GatewayError } from "../../shared/errors.js";
import type { ChatStreamEvent, FinishReason, Usage } from "../../shared/model-types.js";
import { readSse } from "../sse.js";
import { errorFromException } from "../upstream-error.js";
import { parseJsonObject } from "../wire-json.js";
import { toUsage } from "./usage.js";
import { errorFromWireError, malformedAnswer } from "./wire-error.js";
import type { WireAnswerPart, WireChatChunk, WireChatCompletion } from "./wire-types.js";

/** What one data frame carries: events to pass on at once, and usage to report when the stream ends. */
export interface ChunkContent {
  events: ChatStreamEvent[];
  usage: Usage | undefined;
}

/**
 * Reads a streamed chat completion, yielding events as their frames arrive. Usage is reported once,
 * at the end, because some servers repeat it on every chunk. A stream that stops before `[DONE]` and
 * before any finish reason lost the rest of its answer, and fails.
 */
export async function* readChatStream(body: AsyncIterable<Uint8Array>, providerId: string, signal: AbortSignal): AsyncIterable<ChatStreamEvent> {
  let usage: Usage | undefined;
  let finished = false;
  let done = false;
  try {
    for await (const { data } of readSse(body)) {
      // Frames after [DONE] are ignored; the body is still drained so the connection can be reused.
      if (done) continue;
      if (data.trim() === "[DONE]") {
        done = true;
        if (usage !== undefined) yield { type: "usage", usage };
        continue;
      }
      const content = chunkContent(parseChunk(data, providerId), providerId);
      for (const event of content.events) {
        if (event.type === "finish") {
          if (finished) continue;
          finished = true;
        }
        yield event;
      }
      usage = content.usage ?? usage;
    }
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    // Once [DONE] arrived the answer is whole; a failure while draining the rest does not matter.
    if (done) return;
    throw errorFromException(error, providerId, signal);
  }
  if (done) return;
  if (!finished) {
    throw new GatewayError("network", `provider "${providerId}": the stream ended early, before the answer was complete`, {
      code: "upstream_stream_truncated",
    });
  }
  if (usage !== undefined) yield { type: "usage", usage };
}

/** Parses one data frame; anything but a JSON object is a malformed answer. */
export function parseChunk(data: string, providerId: string): WireChatChunk {
  return parseJsonObject<WireChatChunk>(data, (problem) =>
    malformedAnswer(providerId, problem === "not JSON" ? `a stream frame is not valid JSON: ${data.slice(0, 80)}` : "a stream frame is not a JSON object"),
  );
}

/** The events and usage one chunk carries; an `error` object in it becomes a classified error. */
export function chunkContent(chunk: WireChatChunk, providerId: string): ChunkContent {
  if (chunk.error !== undefined && chunk.error !== null) {
    throw errorFromWireError(typeof chunk.error === "object" ? chunk.error : { message: String(chunk.error) }, providerId, "mid-stream");
  }
  const choice = firstChoice(chunk.choices);
  return {
    events: choice === undefined ? [] : answerEvents(choice.delta, choice.finish_reason),
    usage: usageOf(chunk),
  };
}

/** The usage a frame or a whole answer reports, where the server put it. */
export function usageOf(envelope: WireChatChunk | WireChatCompletion): Usage | undefined {
  const wireUsage = envelope.usage ?? envelope.x_groq?.usage;
  return wireUsage ? toUsage(wireUsage) : undefined;
}

/** We always ask for one choice; servers that number them put ours at index 0. */
export function firstChoice<C extends { index?: number }>(choices: (C | null | undefined)[] | null | undefined): C | undefined {
  return choices?.find((choice): choice is C => (choice?.index ?? 0) === 0);
}

/** The events a piece of the answer (a stream's delta) or the whole of it (a message) carries. */
export function answerEvents(delta: WireAnswerPart | null | undefined, finishReason: string | null | undefined): ChatStreamEvent[] {
  const events: ChatStreamEvent[] = [];
  if (typeof delta?.content === "string" && delta.content !== "") events.push({ type: "text", text: delta.content });
  (delta?.tool_calls ?? []).forEach((call, position) => {
    events.push({
      type: "tool_call",
      // Some servers leave out the index when they send each call whole.
      index: typeof call.index === "number" ? call.index : position,
      ...(call.id ? { id: call.id } : {}),
      ...(call.function?.name ? { name: call.function.name } : {}),
      argumentsFragment: call.function?.arguments ?? "",
    });
  });
  const legacy = delta?.function_call;
  if (legacy) {
    events.push({ type: "tool_call", index: 0, ...(legacy.name ? { name: legacy.name } : {}), argumentsFragment: legacy.arguments ?? "" });
  }
  if (finishReason) events.push({ type: "finish", reason: mapFinishReason(finishReason) });
  return events;
}

/** OpenAI's finish reasons in the gateway's words; servers' own inventions ("eos", …) mean a normal stop. */
export function mapFinishReason(reason: string): FinishReason {
  switch (reason) {
    case "length":
      return "length";
    case "tool_calls":
    case "function_call":
      return "tool_calls";
    case "content_filter":
      return "content_filter";
    default:
      return "stop";
  }
}
