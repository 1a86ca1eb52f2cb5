import { FinishReason, type Usage } from "../../../gen/es/palyra/gateway/v1/common_pb.js";
import type { RunCompleted, ToolCallDelta } from "../../../gen/es/palyra/gateway/v1/gateway_pb.js";

// Builders for OpenAI chat completion objects, from run events.

const finishReasons: Record<FinishReason, string> = {
  [FinishReason.UNSPECIFIED]: "stop",
  [FinishReason.STOP]: "stop",
  [FinishReason.LENGTH]: "length",
  [FinishReason.TOOL_CALLS]: "tool_calls",
  [FinishReason.CONTENT_FILTER]: "content_filter",
};

export interface CompletionIdentity {
  id: string;
  created: number;
  model: string;
}

export function completionId(runId: string): string {
  return `chatcmpl-${runId}`;
}

/**
 * OpenAI's usage object, plus what the run cost in USD (`cost_usd`, as OpenRouter adds `cost`):
 * SDKs pass unknown fields through, and a stream's usage chunk is the one place it can go in the body.
 */
export function toOpenAIUsage(usage: Usage | undefined, costUsd: number) {
  return {
    prompt_tokens: usage?.inputTokens ?? 0,
    completion_tokens: usage?.outputTokens ?? 0,
    total_tokens: (usage?.inputTokens ?? 0) + (usage?.outputTokens ?? 0),
    prompt_tokens_details: { cached_tokens: usage?.cachedInputTokens ?? 0 },
    cost_usd: costUsd,
  };
}

export function chatCompletion(identity: CompletionIdentity, completed: RunCompleted) {
  const toolCalls = completed.toolCalls.map((call) => ({
    id: call.id,
    type: "function" as const,
    function: { name: call.name, arguments: call.argumentsJson },
  }));
  return {
    ...identity,
    object: "chat.completion",
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: completed.text === "" && toolCalls.length > 0 ? null : completed.text,
          refusal: null,
          ...(toolCalls.length > 0 && { tool_calls: toolCalls }),
        },
        logprobs: null,
        finish_reason: finishReasons[completed.finishReason],
      },
    ],
    usage: toOpenAIUsage(completed.usage, completed.costUsd),
  };
}

export function deltaChunk(identity: CompletionIdentity, delta: { text: string; toolCalls: ToolCallDelta[] }, first: boolean) {
  return chunk(
    identity,
    {
      ...(first && { role: "assistant" }),
      ...(delta.text !== "" && { content: delta.text }),
      ...(delta.toolCalls.length > 0 && {
        tool_calls: delta.toolCalls.map((call) => ({
          index: call.index,
          ...(call.id && { id: call.id, type: "function" }),
          function: { ...(call.name && { name: call.name }), arguments: call.argumentsFragment },
        })),
      }),
    },
    null,
  );
}

export function finishChunk(identity: CompletionIdentity, completed: RunCompleted) {
  return chunk(identity, {}, finishReasons[completed.finishReason]);
}

/** The usage-only chunk OpenAI sends last when stream_options.include_usage is set. */
export function usageChunk(identity: CompletionIdentity, completed: RunCompleted) {
  return { ...identity, object: "chat.completion.chunk", choices: [], usage: toOpenAIUsage(completed.usage, completed.costUsd) };
}

function chunk(identity: CompletionIdentity, delta: Record<string, unknown>, finishReason: string | null) {
  return {
    ...identity,
    object: "chat.completion.chunk",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  };
}
