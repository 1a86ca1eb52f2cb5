import { countTokens, encode, decode } from "gpt-tokenizer";
import type { ChatMessage, ToolDefinition } from "../providers/types.js";

// Chat formats add a few tokens of framing per message; OpenAI documents about 3 plus 3 for the reply.
const tokensPerMessage = 3;
const tokensPerReply = 3;
// Images are priced by tiles upstream; without decoding the image a flat mid-size figure is the honest estimate.
const tokensPerImage = 765;

/** Tokens of a piece of text with the o200k tokenizer. */
export function countTextTokens(text: string): number {
  return text.length === 0 ? 0 : countTokens(text);
}

/** The first `limit` tokens of a text, for cutting output at max_tokens. */
export function truncateToTokens(text: string, limit: number): { text: string; truncated: boolean } {
  const tokens = encode(text);
  if (tokens.length <= limit) return { text, truncated: false };
  return { text: decode(tokens.slice(0, limit)), truncated: true };
}

/** Estimated prompt tokens of a chat request: messages, their parts and the tool definitions. */
export function countPromptTokens(messages: readonly ChatMessage[], tools: readonly ToolDefinition[] = []): number {
  let total = tokensPerReply;
  for (const message of messages) {
    total += tokensPerMessage;
    for (const part of message.parts) {
      total += part.type === "text" ? countTextTokens(part.text) : tokensPerImage;
    }
    for (const call of message.toolCalls ?? []) {
      total += countTextTokens(call.name) + countTextTokens(call.argumentsJson);
    }
  }
  for (const tool of tools) {
    total += countTextTokens(tool.name) + countTextTokens(tool.description ?? "") + countTextTokens(tool.parametersJson ?? "");
  }
  return total;
}
