import { invalidRequest } from "../../shared/errors.js";
import type { ChatMessage, ContentPart } from "../../shared/model-types.js";
import type { AnthropicImageBlock, AnthropicTextBlock, AnthropicToolResultBlock, AnthropicToolUseBlock } from "./messages-wire.js";

// Anthropic accepts only these image types, inline or by URL.
const imageMediaTypes = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"]);

/** A user message's parts as text and image blocks. */
export function userBlocks(message: ChatMessage, index: number): (AnthropicTextBlock | AnthropicImageBlock)[] {
  return message.parts.flatMap((part, partIndex): (AnthropicTextBlock | AnthropicImageBlock)[] => {
    if (part.type === "image") return [imageBlock(part.url, `messages[${index}].content[${partIndex}].image_url.url`)];
    // Anthropic rejects empty text blocks; an empty part says nothing anyway.
    return part.text.length > 0 ? [{ type: "text", text: part.text }] : [];
  });
}

/** An assistant message's text, then its tool calls as tool_use blocks with parsed input. */
export function assistantBlocks(message: ChatMessage, index: number): (AnthropicTextBlock | AnthropicToolUseBlock)[] {
  const text = textOnly(message, index, "assistant messages can hold only text and tool calls for this provider");
  const blocks: (AnthropicTextBlock | AnthropicToolUseBlock)[] = text.length > 0 ? [{ type: "text", text }] : [];
  (message.toolCalls ?? []).forEach((call, callIndex) => {
    const param = `messages[${index}].tool_calls[${callIndex}].function.arguments`;
    blocks.push({ type: "tool_use", id: call.id, name: call.name, input: parseJsonObject(call.argumentsJson, param, "{}") });
  });
  return blocks;
}

/** A tool message as the tool_result block Anthropic expects inside a user turn. */
export function toolResultBlock(message: ChatMessage, index: number): AnthropicToolResultBlock {
  if (message.toolCallId === undefined || message.toolCallId === "") {
    throw invalidRequest(`messages[${index}].tool_call_id`, "a tool message must name the tool call it answers");
  }
  const hasImage = message.parts.some((part) => part.type === "image");
  // Plain text results stay a string, the most widely accepted form; images need the block form.
  const content = hasImage ? userBlocks(message, index) : joinText(message.parts);
  // An empty result is sent without content: Anthropic may refuse empty text.
  return { type: "tool_result", tool_use_id: message.toolCallId, ...(content.length > 0 && { content }) };
}

/** The text of a message that may not carry images (system, developer, assistant). */
export function textOnly(message: ChatMessage, index: number, why: string): string {
  const imageAt = message.parts.findIndex((part) => part.type === "image");
  if (imageAt >= 0) throw invalidRequest(`messages[${index}].content[${imageAt}]`, why);
  return joinText(message.parts);
}

/** Parses JSON text that must hold an object (tool input, tool schema); `empty` stands in for blank text. */
export function parseJsonObject(text: string, param: string, empty: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text.trim() === "" ? empty : text);
  } catch {
    throw invalidRequest(param, "is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalidRequest(param, "must be a JSON object");
  return value as Record<string, unknown>;
}

function imageBlock(url: string, param: string): AnthropicImageBlock {
  if (url.startsWith("data:")) {
    const match = /^data:([^;,]+)((?:;[^;,]*)*),(.*)$/s.exec(url);
    const mediaType = match?.[1]?.toLowerCase();
    if (match === null || mediaType === undefined || !match[2]?.split(";").includes("base64")) {
      throw invalidRequest(param, "data URLs must be base64-encoded (data:image/png;base64,…)");
    }
    if (!imageMediaTypes.has(mediaType)) throw invalidRequest(param, `image type "${mediaType}" is not supported (jpeg, png, gif, webp)`);
    return { type: "image", source: { type: "base64", media_type: mediaType, data: match[3] ?? "" } };
  }
  if (!URL.canParse(url) || new URL(url).protocol !== "https:") throw invalidRequest(param, "images must be https: or base64 data: URLs");
  return { type: "image", source: { type: "url", url } };
}

function joinText(parts: readonly ContentPart[]): string {
  return parts.map((part) => (part.type === "text" ? part.text : "")).join("");
}
