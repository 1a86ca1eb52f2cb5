import { GatewayError } from "../shared/errors.js";
import type { ChatMessage, ToolDefinition } from "../shared/model-types.js";
import type { ResolvedModel } from "../registry/model-registry.js";
import type { RunInput } from "../shared/run-input.js";

/** Refuses requests the chosen model cannot serve, naming the feature. */
export function checkCapabilities(input: RunInput, { model }: ResolvedModel): void {
  const refuse = (param: string, feature: string) =>
    new GatewayError("invalid_request", `The model '${model.modelId}' does not support ${feature}`, {
      param,
      code: "model_capability_missing",
    });
  if (input.tools.length > 0 && !model.capabilities.toolCalls) throw refuse("tools", "tool calls");
  const wantsJson = input.responseFormat !== undefined && input.responseFormat.kind !== "text";
  if (wantsJson && !model.capabilities.jsonMode) throw refuse("response_format", "JSON mode");
  const hasImages = input.messages.some((message) => message.parts.some((part) => part.type === "image"));
  if (hasImages && !model.capabilities.vision) throw refuse("messages", "image inputs");
}

/**
 * Refuses a prompt that cannot fit the model's context window, before anything is sent upstream.
 * A token is at least one byte, so prompts shorter in bytes than the window are not tokenized at all:
 * the common case costs a length check, and only large prompts pay for the tokenizer.
 */
export function checkContextWindow(input: RunInput, { model }: ResolvedModel, countPromptTokens: () => number): void {
  const limit = model.maxContextTokens;
  const reserved = input.maxTokens ?? 0;
  if (promptBytesUpperBound(input.messages, input.tools) + reserved <= limit) return;
  const promptTokens = countPromptTokens();
  if (promptTokens + reserved <= limit) return;
  const asked = reserved > 0 ? `${promptTokens} tokens in the messages plus ${reserved} for the answer` : `${promptTokens} tokens`;
  throw new GatewayError(
    "context_overflow",
    `This model's maximum context length is ${limit} tokens. However, you requested ${asked}. Please reduce the length of the messages.`,
    { param: "messages", code: "context_length_exceeded" },
  );
}

// Images count as a fixed token figure in the tokenizer estimate; this bound must stay above it.
const imageBytesBound = 1024;

function promptBytesUpperBound(messages: readonly ChatMessage[], tools: readonly ToolDefinition[]): number {
  let bytes = 16;
  for (const message of messages) {
    bytes += 8;
    for (const part of message.parts) bytes += part.type === "text" ? Buffer.byteLength(part.text) : imageBytesBound;
    for (const call of message.toolCalls ?? []) bytes += Buffer.byteLength(call.name) + Buffer.byteLength(call.argumentsJson);
  }
  for (const tool of tools) {
    bytes += Buffer.byteLength(tool.name) + Buffer.byteLength(tool.description ?? "") + Buffer.byteLength(tool.parametersJson ?? "");
  }
  return bytes;
}
