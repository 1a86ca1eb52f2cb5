import type { ChatMessage, ResponseFormat, ToolDefinition } from "../../shared/model-types.js";

/** What complexity scoring reads from a chat request. */
export interface ComplexityInput {
  messages: readonly ChatMessage[];
  tools: readonly ToolDefinition[];
  responseFormat?: ResponseFormat | undefined;
}

export interface Complexity {
  /** In [0, 1], rounded to three decimals: 0 is a greeting, 1 a long, tool-heavy, multi-step analysis. */
  score: number;
  /** Each factor's weighted contribution; they add up (to rounding) to the score before it is clamped to 1. */
  factors: Record<ComplexityFactor, number>;
}

export type ComplexityFactor = "prompt_tokens" | "turns" | "images" | "tools" | "json_mode" | "reasoning" | "code" | "parts";

/**
 * How much each factor can add. They add up to more than 1 on purpose: a request strong on a few
 * signals (a long prompt with reasoning cues and tools) reaches the top without needing all of them.
 */
export const complexityWeights: Readonly<Record<ComplexityFactor, number>> = {
  prompt_tokens: 0.25,
  turns: 0.1,
  images: 0.15,
  tools: 0.15,
  json_mode: 0.1,
  reasoning: 0.4,
  code: 0.1,
  parts: 0.1,
};

// Prompts up to this many tokens add nothing for length; the factor grows with the logarithm of the
// count up to the saturation point, since going from 1k to 2k tokens matters about as much as 4k to 8k.
const tokenFloor = 256;
const tokenSaturation = 8192;
// The length is graded on a log scale over a factor of 32, so an estimate from UTF-8 bytes serves as
// well as a count: o200k averages about 4 bytes a token in English prose and code (CJK about 3), and
// being off by a third moves the factor by a few hundredths. So scoring never loads the tokenizer.
const bytesPerToken = 4;

/** Cues that a request asks for reasoning rather than recall; each counts once. */
const reasoningCues: readonly RegExp[] = [
  /\bstep[- ]by[- ]step\b/i,
  /\b(?:prove[sdn]?|proving|proofs?)\b/i,
  /\banaly(?:[sz]e[sd]?|[sz]ing|sis|ses|tical)\b/i,
  /\bderiv(?:e[sd]?|ing|ation|ations)\b/i,
  /\b(?:compar(?:e[sd]?|ing|isons?)|contrast)\b/i,
  /\bexplain (?:why|how)\b/i,
  /\b(?:reason(?:ing)? (?:about|through)|think (?:carefully|through)|justify|rigorous(?:ly)?)\b/i,
  /\b(?:trade-?offs?|pros and cons)\b/i,
  /\b(?:evaluat(?:e[sd]?|ing|ion)|assess(?:es|ed|ing|ment)?|critique)\b/i,
  /\b(?:architecture|optimi[sz](?:e[sd]?|ing|ation))\b/i,
  /\b(?:debug(?:ging)?|refactor(?:ing)?|root cause)\b/i,
];
const cuesForFullMarks = 3;

const listItem = /^[ \t]*(?:\d{1,3}[.)]|[-*•])[ \t]+\S/gm;
const codeFence = /```/g;

/**
 * Scores how demanding a chat request is, from its prompt tokens, turns, images, tools, JSON mode,
 * reasoning cues, code blocks and number of asks. Pure and deterministic; adding an image, a tool,
 * a message or a reasoning cue never lowers the score. No prompt reaches the tokenizer.
 */
export function complexityOf(input: ComplexityInput): Complexity {
  const asks = input.messages.filter((message) => message.role === "user" || message.role === "system" || message.role === "developer");
  const askText = asks.map(textOf).join("\n");
  const raw: Record<ComplexityFactor, number> = {
    prompt_tokens: promptTokensFactor(input.messages),
    turns: Math.min(1, Math.max(0, input.messages.filter((m) => m.role !== "system" && m.role !== "developer").length - 1) / 8),
    images: Math.min(1, countImages(input.messages) / 2),
    tools: Math.min(1, input.tools.length / 3),
    json_mode: jsonModeFactor(input.responseFormat),
    reasoning: Math.min(1, reasoningCues.filter((cue) => cue.test(askText)).length / cuesForFullMarks),
    code: Math.min(1, Math.floor(count(input.messages.map(textOf).join("\n"), codeFence) / 2) / 2),
    parts: Math.min(1, Math.max(0, countAsks(askText) - 1) / 4),
  };
  const factors = {} as Record<ComplexityFactor, number>;
  let sum = 0;
  for (const factor of Object.keys(complexityWeights) as ComplexityFactor[]) {
    factors[factor] = round(raw[factor] * complexityWeights[factor]);
    sum += raw[factor] * complexityWeights[factor];
  }
  return { score: round(Math.min(1, Math.max(0, sum))), factors };
}

/** 0 up to the floor, 1 from the saturation point, logarithmic between, by the tokens estimated from the text's bytes. */
function promptTokensFactor(messages: readonly ChatMessage[]): number {
  let bytes = 0;
  for (const message of messages) for (const part of message.parts) if (part.type === "text") bytes += Buffer.byteLength(part.text);
  const tokens = bytes / bytesPerToken;
  if (tokens <= tokenFloor) return 0;
  return Math.min(1, Math.log(tokens / tokenFloor) / Math.log(tokenSaturation / tokenFloor));
}

function jsonModeFactor(format: ResponseFormat | undefined): number {
  // A schema constrains the answer more than "any JSON object" does.
  if (format?.kind === "json_schema") return 1;
  return format?.kind === "json_object" ? 0.5 : 0;
}

/** Questions and list items: a request that asks several things at once. */
function countAsks(text: string): number {
  return count(text, /\?/g) + count(text, listItem);
}

function countImages(messages: readonly ChatMessage[]): number {
  return messages.reduce((total, message) => total + message.parts.filter((part) => part.type === "image").length, 0);
}

function textOf(message: ChatMessage): string {
  return message.parts.map((part) => (part.type === "text" ? part.text : "")).join("\n");
}

function count(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
