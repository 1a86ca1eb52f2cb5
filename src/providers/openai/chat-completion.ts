import type { ChatStreamEvent } from "../../shared/model-types.js";
import { mapFinishReason } from "./chat-stream.js";
import { toUsage } from "./usage.js";
import { errorFromWireError, malformedAnswer } from "./wire-error.js";
import type { WireChatCompletion, WireCompletionChoice } from "./wire-types.js";

/**
 * Translates a non-streamed chat completion (one `chat.completion` JSON body) into the events the
 * stream of the same answer would have given: the text in one piece, each tool call whole, the
 * finish reason, then the usage. So nothing above the provider knows which way the answer came.
 */
export function completionEvents(text: string, providerId: string): ChatStreamEvent[] {
  const body = parseCompletion(text, providerId);
  if (typeof body.error === "object" && body.error !== null) throw errorFromWireError(body.error, providerId, "instead of answering");
  if (!Array.isArray(body.choices)) throw malformedAnswer(providerId, "the chat answer has no choices array");
  // We always ask for one choice; servers that number them put ours at index 0.
  const choice = body.choices.find((candidate) => (candidate?.index ?? 0) === 0);
  const events = choice === undefined ? [] : choiceEvents(choice);
  const wireUsage = body.usage ?? body.x_groq?.usage;
  if (wireUsage) events.push({ type: "usage", usage: toUsage(wireUsage) });
  return events;
}

function parseCompletion(text: string, providerId: string): WireChatCompletion {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw malformedAnswer(providerId, "the chat answer is not valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw malformedAnswer(providerId, "the chat answer is not a JSON object");
  return parsed as WireChatCompletion;
}

function choiceEvents(choice: WireCompletionChoice): ChatStreamEvent[] {
  const events: ChatStreamEvent[] = [];
  const message = choice.message;
  if (typeof message?.content === "string" && message.content !== "") events.push({ type: "text", text: message.content });
  (message?.tool_calls ?? []).forEach((call, index) => {
    events.push({
      type: "tool_call",
      index,
      ...(call.id ? { id: call.id } : {}),
      ...(call.function?.name ? { name: call.function.name } : {}),
      argumentsFragment: call.function?.arguments ?? "",
    });
  });
  const legacy = message?.function_call;
  if (legacy) {
    events.push({ type: "tool_call", index: 0, ...(legacy.name ? { name: legacy.name } : {}), argumentsFragment: legacy.arguments ?? "" });
  }
  if (choice.finish_reason) events.push({ type: "finish", reason: mapFinishReason(choice.finish_reason) });
  return events;
}
