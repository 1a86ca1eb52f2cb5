import type { ChatStreamEvent } from "../../shared/model-types.js";
import { parseJsonObject } from "../wire-json.js";
import { answerEvents, firstChoice, usageOf } from "./chat-stream.js";
import { errorFromWireError, malformedAnswer } from "./wire-error.js";
import type { WireChatCompletion } from "./wire-types.js";

/**
 * Translates a non-streamed chat completion (one `chat.completion` JSON body) into the events the
 * stream of the same answer would have given: the text in one piece, each tool call whole, the
 * finish reason, then the usage. So nothing above the provider knows which way the answer came.
 */
export function completionEvents(text: string, providerId: string): ChatStreamEvent[] {
  const body = parseJsonObject<WireChatCompletion>(text, (problem) =>
    malformedAnswer(providerId, problem === "not JSON" ? "the chat answer is not valid JSON" : "the chat answer is not a JSON object"),
  );
  if (typeof body.error === "object" && body.error !== null) throw errorFromWireError(body.error, providerId, "instead of answering");
  if (!Array.isArray(body.choices)) throw malformedAnswer(providerId, "the chat answer has no choices array");
  const choice = firstChoice(body.choices);
  const events = choice === undefined ? [] : answerEvents(choice.message, choice.finish_reason);
  const usage = usageOf(body);
  if (usage !== undefined) events.push({ type: "usage", usage });
  return events;
}
