import { invalidRequest } from "../../shared/errors.js";
import type { ChatMessage, ChatRequest, ResponseFormat, ToolChoice, ToolDefinition } from "../../shared/model-types.js";
import { assistantBlocks, parseJsonObject, textOnly, toolResultBlock, userBlocks } from "./message-content.js";
import type { AnthropicMessage, AnthropicMessagesRequest, AnthropicTool, AnthropicToolChoice } from "./messages-wire.js";

/** Anthropic requires max_tokens; this is used when neither the request nor the provider sets one. */
export const defaultMaxOutputTokens = 4096;

export interface MessagesRequestOptions {
  /** max_tokens when the request names none. */
  maxOutputTokensDefault?: number;
}

/** Translates the internal chat request into an Anthropic Messages API body: streamed, unless the caller reads the answer whole. */
export function toMessagesRequest(request: ChatRequest, options: MessagesRequestOptions = {}): AnthropicMessagesRequest {
  const system = systemPrompt(request.messages, request.responseFormat);
  const tools = request.tools.map(toTool);
  const toolChoice = tools.length > 0 && request.toolChoice !== undefined ? toToolChoice(request.toolChoice, request.tools) : undefined;
  return {
    model: request.upstreamModel,
    messages: toTurns(request.messages),
    max_tokens: request.maxTokens ?? options.maxOutputTokensDefault ?? defaultMaxOutputTokens,
    ...(system !== "" && { system }),
    ...(tools.length > 0 && { tools }),
    ...(toolChoice !== undefined && { tool_choice: toolChoice }),
    ...(request.temperature !== undefined && { temperature: request.temperature }),
    ...(request.topP !== undefined && { top_p: request.topP }),
    ...(request.stop.length > 0 && { stop_sequences: request.stop }),
    ...(request.user !== undefined && request.user !== "" && { metadata: { user_id: request.user } }),
    stream: request.wholeAnswer !== true,
  };
}

/**
 * Anthropic takes instructions as one top-level `system` string, not as turns, so system and
 * developer messages are lifted out, in order, wherever they stand in the conversation.
 */
function systemPrompt(messages: readonly ChatMessage[], format: ResponseFormat | undefined): string {
  const sections: string[] = [];
  messages.forEach((message, index) => {
    if (message.role !== "system" && message.role !== "developer") return;
    const text = textOnly(message, index, "system and developer messages can hold only text for this provider");
    if (text.trim() !== "") sections.push(text);
  });
  const jsonInstruction = jsonModeInstruction(format);
  if (jsonInstruction !== undefined) sections.push(jsonInstruction);
  return sections.join("\n\n");
}

/** Anthropic has no JSON-mode flag, so JSON mode becomes an instruction in the system prompt. */
export function jsonModeInstruction(format: ResponseFormat | undefined): string | undefined {
  const base = "Answer with only one JSON object: no prose, no Markdown code fences, nothing before or after it.";
  if (format?.kind === "json_object") return base;
  if (format?.kind === "json_schema") {
    return `${base} The object must conform to this JSON Schema (named "${format.name}"):\n${format.schemaJson}`;
  }
  return undefined;
}

/**
 * The conversation as strictly alternating user/assistant turns: tool results travel in user turns,
 * and consecutive turns of the same role (several tool results, a user note after them) are merged.
 */
function toTurns(messages: readonly ChatMessage[]): AnthropicMessage[] {
  const turns: AnthropicMessage[] = [];
  messages.forEach((message, index) => {
    const turn = toTurn(message, index);
    if (turn === undefined || turn.content.length === 0) return;
    const previous = turns.at(-1);
    if (previous?.role === turn.role) previous.content.push(...turn.content);
    else turns.push(turn);
  });
  if (turns.length === 0) throw invalidRequest("messages", "needs at least one user or assistant message with content");
  return turns;
}

function toTurn(message: ChatMessage, index: number): AnthropicMessage | undefined {
  switch (message.role) {
    case "system":
    case "developer":
      return undefined;
    case "user":
      return { role: "user", content: userBlocks(message, index) };
    case "assistant":
      return { role: "assistant", content: assistantBlocks(message, index) };
    case "tool":
      return { role: "user", content: [toolResultBlock(message, index)] };
  }
}

function toTool(tool: ToolDefinition, index: number): AnthropicTool {
  const schema = parseJsonObject(tool.parametersJson ?? "", `tools[${index}].function.parameters`, '{"type":"object"}');
  return {
    name: tool.name,
    ...(tool.description !== undefined && tool.description !== "" && { description: tool.description }),
    input_schema: schema,
  };
}

function toToolChoice(choice: ToolChoice, tools: readonly ToolDefinition[]): AnthropicToolChoice {
  switch (choice.mode) {
    case "auto":
    case "none":
      return { type: choice.mode };
    case "required":
      return { type: "any" };
    case "function":
      if (!tools.some((tool) => tool.name === choice.name)) {
        throw invalidRequest("tool_choice.function.name", `"${choice.name}" is not one of the request's tools`);
      }
      return { type: "tool", name: choice.name };
  }
}
