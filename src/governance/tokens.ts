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

// The tokenizer's merges are quadratic in the length of a run without spaces (a base64 blob, say), so
// capped counts go slice by slice; each cut may add a token, a small overcount for a cap.
const countSliceChars = 1024;
// Special-token markers such as "<|endoftext|>" in a prompt are text, not control tokens.
const plainText = { disallowedSpecial: new Set<string>() };

/**
 * Tokens of a text when there are at most `limit`, else undefined: counting stops once past the limit,
 * so a caller that only cares up to a cap never pays for the whole of a long text.
 */
export function countTextTokensUpTo(text: string, limit: number): number | undefined {
  let total = 0;
  for (let start = 0; start < text.length; start += countSliceChars) {
    total += countTokens(text.slice(start, start + countSliceChars), plainText);
    if (total > limit) return undefined;
  }
  return total;
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
