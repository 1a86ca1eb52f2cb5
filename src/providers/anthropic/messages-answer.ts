import type { ChatStreamEvent } from "../../shared/model-types.js";
import { parseJsonObject } from "../wire-json.js";
import { errorFromAnthropicBody, fromAnthropicUsage, anthropicMalformed as malformed, toFinishReason } from "./messages-stream.js";
import type { AnthropicErrorBody, AnthropicUsage } from "./messages-wire.js";

/** A non-streamed Messages API answer, typed loosely: what it holds is checked as it is read. */
interface AnthropicMessageAnswer {
  type?: unknown;
  content?: { type?: unknown; text?: unknown; id?: unknown; name?: unknown; input?: unknown }[];
  stop_reason?: unknown;
  usage?: AnthropicUsage | null;
}

/**
 * Translates a non-streamed answer (one `message` JSON body) into the events its stream would have
 * given: the text in one piece, each tool call whole, the stop reason, then the usage (with the
 * cache counts, as parts of the input). So nothing above the provider knows which way it came.
 */
export function messageEvents(text: string, providerId: string): ChatStreamEvent[] {
  const body = parseJsonObject<AnthropicMessageAnswer>(text, (problem) =>
    malformed(providerId, problem === "not JSON" ? "an answer that is not JSON" : "an answer that is not a JSON object"),
  );
  if (body.type === "error") throw errorFromAnthropicBody(body as unknown as AnthropicErrorBody, providerId, "answered with an error");
  if (!Array.isArray(body.content)) throw malformed(providerId, "an answer without a content array");
  const texts: string[] = [];
  const calls: ChatStreamEvent[] = [];
  for (const block of body.content) {
    if (block?.type === "text" && typeof block.text === "string") texts.push(block.text);
    if (block?.type !== "tool_use") continue; // thinking blocks are not part of the answer
    if (typeof block.id !== "string" || typeof block.name !== "string") throw malformed(providerId, "a tool_use block without id or name");
    calls.push({ type: "tool_call", index: calls.length, id: block.id, name: block.name, argumentsFragment: JSON.stringify(block.input ?? {}) });
  }
  const events: ChatStreamEvent[] = [];
  const answer = texts.join("");
  if (answer !== "") events.push({ type: "text", text: answer });
  events.push(...calls);
  if (typeof body.stop_reason === "string") events.push({ type: "finish", reason: toFinishReason(body.stop_reason) });
  const usage = reportedUsage(body.usage);
  // Upstreams that report no usage get none here; the run engine counts tokens itself then.
  if (usage !== undefined) events.push({ type: "usage", usage: fromAnthropicUsage(usage) });
  return events;
}

/** The usage counts the answer reported, missing ones as zero; undefined when it reported none. */
function reportedUsage(usage: AnthropicUsage | null | undefined): Record<keyof AnthropicUsage, number> | undefined {
  if (typeof usage !== "object" || usage === null) return undefined;
  const counts = { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
  let reported = false;
  for (const key of Object.keys(counts) as (keyof AnthropicUsage)[]) {
    const value = usage[key];
    if (typeof value === "number" && Number.isFinite(value)) {
      counts[key] = value;
      reported = true;
    }
  }
  return reported ? counts : undefined;
}
