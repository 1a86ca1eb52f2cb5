import type { ChatRequest, FinishReason, ToolCall, Usage } from "../shared/model-types.js";
import { countPromptTokens, countTextsTokens } from "../shared/tokens.js";
import type { RunOutput } from "./run-output.js";

/** What a finished chat run answered, as the caller is told it (a cache hit's stored usage included). */
export interface ChatAnswer {
  text: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage: Usage;
}

/** A finished run's answer from its assembled output; upstreams that report no usage are counted with the tokenizer. */
export async function answerOf(request: ChatRequest, output: RunOutput): Promise<ChatAnswer> {
  const toolCalls = output.toolCalls;
  return {
    text: output.text,
    toolCalls,
    finishReason: output.finishReason ?? (toolCalls.length > 0 ? "tool_calls" : "stop"),
    usage: output.usage ?? (await estimateUsage(request, output.text, toolCalls)),
  };
}

/** The tokenizer's count of a run without reported usage, marked estimated. */
async function estimateUsage(request: ChatRequest, text: string, toolCalls: readonly ToolCall[]): Promise<Usage> {
  const toolTexts = toolCalls.flatMap((call) => [call.name, call.argumentsJson]);
  return {
    inputTokens: await countPromptTokens(request.messages, request.tools),
    outputTokens: await countTextsTokens([text, ...toolTexts]),
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    estimated: true,
  };
}
