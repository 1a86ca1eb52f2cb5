import type { ResolvedModel } from "../registry/model-registry.js";
import { GatewayError } from "../shared/errors.js";
import type { RunInput } from "../shared/run-input.js";
import type { TokenCount } from "../shared/tokens.js";

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
 * A token is at least one byte, so a prompt whose upper bound fits the window is not tokenized at
 * all: the common case costs a length check, and only prompts near the window pay for the tokenizer.
 */
export function checkContextWindow(input: RunInput, { model }: ResolvedModel, promptTokens: TokenCount): void {
  const limit = model.maxContextTokens;
  const reserved = input.maxTokens ?? 0;
  if (promptTokens.upperBound + reserved <= limit) return;
  const counted = promptTokens();
  if (counted + reserved <= limit) return;
  const asked = reserved > 0 ? `${counted} tokens in the messages plus ${reserved} for the answer` : `${counted} tokens`;
  throw new GatewayError(
    "context_overflow",
    `This model's maximum context length is ${limit} tokens. However, you requested ${asked}. Please reduce the length of the messages.`,
    { param: "messages", code: "context_length_exceeded" },
  );
}
