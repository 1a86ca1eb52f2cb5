import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { ChatMessage, ToolDefinition } from "./model-types.js";
import { tokenizer } from "./tokenizer-encoding.js";

// Chat formats add a few tokens of framing per message; OpenAI documents about 3 plus 3 for the reply.
const tokensPerMessage = 3;
const tokensPerReply = 3;
// Images are priced by tiles upstream; without decoding the image a flat mid-size figure is the honest estimate.
const tokensPerImage = 765;
// Special-token markers such as "<|endoftext|>" in a prompt are text, not control tokens.
const plainText = { disallowedSpecial: new Set<string>() };

// The tokenizer's merges are quadratic in the length of one pre-tokenized piece: 100 KB of CJK text,
// punctuation or whitespace without a break took over a minute. Text is therefore fed to it in slices
// of at most this many characters, which keeps every call linear (about 50 ms per MB at worst here).
const maxSliceChars = 512;
// A cut is looked for in the second half of a slice: before a space that follows a letter or digit,
// where the tokenizer's own pieces break anyway, so ordinary prose counts exactly. Only text without
// such a break (CJK, base64, long runs) is cut mid-piece, which may add a token per cut.
const minSliceChars = maxSliceChars / 2;
const wordCharacter = /[\p{L}\p{N}]/u;

/** Splits text into slices the tokenizer handles in linear time, cut where its pieces break when possible. */
export function* tokenizerSlices(text: string): Generator<string> {
  let start = 0;
  while (text.length - start > maxSliceChars) {
    const cut = sliceEnd(text, start);
    yield text.slice(start, cut);
    start = cut;
  }
  if (start < text.length) yield start === 0 ? text : text.slice(start);
}

function sliceEnd(text: string, start: number): number {
  const hardEnd = start + maxSliceChars;
  for (let index = hardEnd; index > start + minSliceChars; index--) {
    if (text.charCodeAt(index) === 0x20 && wordCharacter.test(text.charAt(index - 1))) return index;
  }
  // Never split a surrogate pair: half a character would be counted as a replacement character.
  const code = text.charCodeAt(hardEnd - 1);
  return code >= 0xd800 && code <= 0xdbff ? hardEnd - 1 : hardEnd;
}

/**
 * Tokens of a piece of text with the o200k tokenizer, in linear time. It still holds the event loop
 * for its whole length (about 50 ms per MB), so text a caller controls goes through the async counters.
 */
export function countTextTokens(text: string): number {
  let total = 0;
  for (const slice of tokenizerSlices(text)) total += tokenizer().countTokens(slice, plainText);
  return total;
}

/**
 * Tokens of a text when there are at most `limit`, else undefined: counting stops once past the limit,
 * so a caller that only cares up to a cap never pays for the whole of a long text.
 */
export function countTextTokensUpTo(text: string, limit: number): number | undefined {
  let total = 0;
  for (const slice of tokenizerSlices(text)) {
    total += tokenizer().countTokens(slice, plainText);
    if (total > limit) return undefined;
  }
  return total;
}

// Counting a large text gives way to other callers after this much work, so a 20 MB prompt costs its
// own request time but never stalls the daemon: health checks and other runs go on in between.
const workSliceMs = 2;

/** Runs `step` over every slice of every text, yielding to the event loop every few milliseconds of work. */
async function forEachSlice(texts: Iterable<string>, step: (slice: string) => boolean | void): Promise<void> {
  let since = performance.now();
  for (const text of texts) {
    for (const slice of tokenizerSlices(text)) {
      if (step(slice) === false) return;
      if (performance.now() - since > workSliceMs) {
        await yieldToEventLoop();
        since = performance.now();
      }
    }
  }
}

/** Tokens of several texts (an embeddings batch), counted without holding the event loop. */
export async function countTextsTokens(texts: Iterable<string>): Promise<number> {
  let total = 0;
  await forEachSlice(texts, (slice) => {
    total += tokenizer().countTokens(slice, plainText);
  });
  return total;
}

/** Estimated prompt tokens of a chat request (messages, their parts, tool definitions), counted without holding the event loop. */
export async function countPromptTokens(messages: readonly ChatMessage[], tools: readonly ToolDefinition[] = []): Promise<number> {
  return promptFraming(messages) + (await countTextsTokens(promptTexts(messages, tools)));
}

/**
 * A prompt's (or a batch's) tokens for code that asks synchronously (route planning, budgets, the
 * context window): `upperBound` costs nothing, and calling it counts exactly, once. A token stands
 * for at least one UTF-8 byte, so the bound is never below the count; a decision asks for the exact
 * count only when the bound does not settle it (it is near or past the decision's limit).
 */
export interface TokenCount {
  (): number;
  readonly upperBound: number;
  /** The exact count if one was made already, else undefined; never counts (a run's progress reads it). */
  readonly known: () => number | undefined;
}

// Prompts up to this size are counted on demand in well under a millisecond; larger ones are counted
// ahead, cooperatively, so later synchronous questions ("does it fit?") never tokenize a large text.
const onDemandPromptChars = 16 * 1024;

/**
 * A prompt's token count: a small prompt is tokenized on first use (or never, when its bound settles
 * every question), a large one up front without holding the event loop. Either way it is counted once.
 */
export async function promptTokenCounter(messages: readonly ChatMessage[], tools: readonly ToolDefinition[] = []): Promise<TokenCount> {
  const framing = promptFraming(messages);
  const counter = await textsTokenCounter(() => promptTexts(messages, tools));
  const known = () => {
    const texts = counter.known();
    return texts === undefined ? undefined : framing + texts;
  };
  return Object.assign(() => framing + counter(), { upperBound: framing + counter.upperBound, known });
}

/** The same for plain texts (an embeddings batch): counted on first use when small, up front when large. */
export async function textsTokenCounter(texts: () => Iterable<string>): Promise<TokenCount> {
  let chars = 0;
  let bytes = 0;
  for (const text of texts()) {
    chars += text.length;
    bytes += Buffer.byteLength(text);
  }
  if (chars > onDemandPromptChars) {
    const counted = await countTextsTokens(texts());
    return Object.assign(() => counted, { upperBound: bytes, known: () => counted });
  }
  let counted: number | undefined;
  const count = () => {
    if (counted === undefined) {
      counted = 0;
      for (const text of texts()) counted += countTextTokens(text);
    }
    return counted;
  };
  return Object.assign(count, { upperBound: bytes, known: () => counted });
}

/**
 * At least as many tokens as countPromptTokens gives, without the tokenizer: the framing it adds
 * plus the UTF-8 bytes of every text it counts (messages, tool calls, tool definitions).
 */
export function promptTokensUpperBound(messages: readonly ChatMessage[], tools: readonly ToolDefinition[] = []): number {
  let bytes = promptFraming(messages);
  for (const text of promptTexts(messages, tools)) bytes += Buffer.byteLength(text);
  return bytes;
}

/** The first `limit` tokens of a text, for cutting output at max_tokens; counts no further than it must. */
export async function truncateToTokens(text: string, limit: number): Promise<{ text: string; tokens: number; truncated: boolean }> {
  let tokens = 0;
  let consumed = 0;
  let cut: string | undefined;
  await forEachSlice([text], (slice) => {
    const { encode, decode } = tokenizer();
    const sliceTokens = encode(slice, plainText);
    if (tokens + sliceTokens.length > limit) {
      cut = text.slice(0, consumed) + decode(sliceTokens.slice(0, limit - tokens));
      tokens = limit;
      return false;
    }
    tokens += sliceTokens.length;
    consumed += slice.length;
  });
  return cut === undefined ? { text, tokens, truncated: false } : { text: cut, tokens, truncated: true };
}

function promptFraming(messages: readonly ChatMessage[]): number {
  let framing = tokensPerReply + messages.length * tokensPerMessage;
  for (const message of messages) for (const part of message.parts) if (part.type === "image") framing += tokensPerImage;
  return framing;
}

function* promptTexts(messages: readonly ChatMessage[], tools: readonly ToolDefinition[]): Generator<string> {
  for (const message of messages) {
    for (const part of message.parts) if (part.type === "text") yield part.text;
    for (const call of message.toolCalls ?? []) {
      yield call.name;
      yield call.argumentsJson;
    }
  }
  for (const tool of tools) {
    yield tool.name;
    if (tool.description) yield tool.description;
    if (tool.parametersJson) yield tool.parametersJson;
  }
}
