import { invalidRequest } from "../../shared/errors.js";
import type { ChatMessage, ChatRequest, ContentPart, ResponseFormat, ToolChoice, ToolDefinition } from "../../shared/model-types.js";
import type { WireChatRequest, WireContent, WireMessage, WireResponseFormat, WireTool, WireToolChoice } from "./wire-types.js";

/**
 * Translates the internal chat request into an OpenAI chat completion body: streamed, with usage
 * requested so every stream is accounted with the upstream's own numbers; or, for a caller that
 * reads the answer whole, not streamed (the body then carries the usage).
 */
export function toWireChatRequest(request: ChatRequest): WireChatRequest {
  return {
    model: request.upstreamModel,
    messages: request.messages.map((message, index) => toWireMessage(message, `messages[${index}]`)),
    ...(request.wholeAnswer === true ? { stream: false } : { stream: true, stream_options: { include_usage: true } }),
    ...(request.tools.length > 0 && { tools: request.tools.map((tool, index) => toWireTool(tool, `tools[${index}]`)) }),
    ...(request.toolChoice !== undefined && { tool_choice: toWireToolChoice(request.toolChoice) }),
    ...(request.responseFormat !== undefined && { response_format: toWireResponseFormat(request.responseFormat) }),
    // max_tokens rather than max_completion_tokens: it is the field every OpenAI-compatible server accepts.
    ...(request.maxTokens !== undefined && { max_tokens: request.maxTokens }),
    ...(request.temperature !== undefined && { temperature: request.temperature }),
    ...(request.topP !== undefined && { top_p: request.topP }),
    ...(request.stop.length > 0 && { stop: request.stop }),
    ...(request.user !== undefined && { user: request.user }),
  };
}

function toWireMessage(message: ChatMessage, path: string): WireMessage {
  const name = message.name !== undefined ? { name: message.name } : {};
  switch (message.role) {
    case "system":
    case "developer":
      return { role: message.role, content: textOnlyContent(message.parts, path), ...name };
    case "user":
      return { role: "user", content: toWireContent(message.parts), ...name };
    case "assistant": {
      const calls = message.toolCalls ?? [];
      // OpenAI wants null content, not "", on an assistant turn that only calls tools.
      const content = message.parts.length === 0 && calls.length > 0 ? null : textOnlyContent(message.parts, path);
      return {
        role: "assistant",
        content,
        ...name,
        ...(calls.length > 0 && {
          tool_calls: calls.map((call) => ({ id: call.id, type: "function" as const, function: { name: call.name, arguments: call.argumentsJson } })),
        }),
      };
    }
    case "tool":
      if (message.toolCallId === undefined) throw invalidRequest(`${path}.tool_call_id`, "is required for tool messages");
      return { role: "tool", content: textOnlyContent(message.parts, path), tool_call_id: message.toolCallId };
  }
}

/** A single text part goes as a plain string, which every compatible server understands. */
function toWireContent(parts: readonly ContentPart[]): WireContent {
  const [only, ...rest] = parts;
  if (only === undefined) return "";
  if (only.type === "text" && rest.length === 0) return only.text;
  return parts.map((part) =>
    part.type === "text"
      ? { type: "text" as const, text: part.text }
      : { type: "image_url" as const, image_url: { url: part.url, ...(part.detail !== undefined && { detail: part.detail }) } },
  );
}

/** OpenAI accepts images only from users; saying so beats an opaque upstream 400. */
function textOnlyContent(parts: readonly ContentPart[], path: string): WireContent {
  const imageAt = parts.findIndex((part) => part.type === "image");
  if (imageAt >= 0) throw invalidRequest(`${path}.content[${imageAt}]`, "images are only accepted in user messages");
  return toWireContent(parts);
}

function toWireTool(tool: ToolDefinition, path: string): WireTool {
  return {
    type: "function",
    function: {
      name: tool.name,
      ...(tool.description !== undefined && { description: tool.description }),
      ...(tool.parametersJson !== undefined && { parameters: parseJson(tool.parametersJson, `${path}.function.parameters`) }),
      ...(tool.strict !== undefined && { strict: tool.strict }),
    },
  };
}

function toWireToolChoice(choice: ToolChoice): WireToolChoice {
  return choice.mode === "function" ? { type: "function", function: { name: choice.name } } : choice.mode;
}

function toWireResponseFormat(format: ResponseFormat): WireResponseFormat {
  switch (format.kind) {
    case "text":
      return { type: "text" };
    case "json_object":
      return { type: "json_object" };
    case "json_schema":
      return {
        type: "json_schema",
        json_schema: { name: format.name, schema: parseJson(format.schemaJson, "response_format.json_schema.schema"), strict: format.strict },
      };
  }
}

function parseJson(text: string, param: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw invalidRequest(param, "is not valid JSON");
  }
}
