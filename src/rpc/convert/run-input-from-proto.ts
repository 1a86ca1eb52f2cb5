import {
  type Message as ProtoMessage,
  type ResponseFormat as ProtoResponseFormat,
  Role as ProtoRole,
  type ToolChoice as ProtoToolChoice,
  ResponseFormat_Kind,
  ToolChoice_Mode,
} from "../../../gen/es/palyra/gateway/v1/common_pb.js";
import type { StartRun } from "../../../gen/es/palyra/gateway/v1/gateway_pb.js";
import { invalidRequest } from "../../shared/errors.js";
import type { ChatMessage, ContentPart, ResponseFormat, Role, ToolChoice } from "../../shared/model-types.js";
import type { RunInput } from "../../shared/run-input.js";

const roles: Partial<Record<ProtoRole, Role>> = {
  [ProtoRole.SYSTEM]: "system",
  [ProtoRole.DEVELOPER]: "developer",
  [ProtoRole.USER]: "user",
  [ProtoRole.ASSISTANT]: "assistant",
  [ProtoRole.TOOL]: "tool",
};

/** Translates a RunStream start envelope into the run engine's input. */
export function runInputFromProto(start: StartRun): RunInput {
  const toolChoice = toolChoiceFromProto(start.toolChoice);
  const responseFormat = responseFormatFromProto(start.responseFormat);
  return {
    messages: start.messages.map((message, index) => messageFromProto(message, `messages[${index}]`)),
    tools: start.tools.map((tool) => ({
      name: tool.name,
      ...(tool.description && { description: tool.description }),
      ...(tool.parametersJson && { parametersJson: tool.parametersJson }),
      ...(tool.strict && { strict: true }),
    })),
    stop: start.stop,
    metadata: start.metadata,
    ...(toolChoice !== undefined && { toolChoice }),
    ...(responseFormat !== undefined && { responseFormat }),
    ...(start.model && { model: start.model }),
    ...(start.agentId && { agentId: start.agentId }),
    ...(start.sessionId && { sessionId: start.sessionId }),
    ...(start.userId && { userId: start.userId }),
    ...(start.clientRequestId && { clientRequestId: start.clientRequestId }),
    ...(start.maxTokens !== undefined && { maxTokens: start.maxTokens }),
    ...(start.temperature !== undefined && { temperature: start.temperature }),
    ...(start.topP !== undefined && { topP: start.topP }),
    ...(start.disableFailover && { disableFailover: true }),
    ...(start.bypassCache && { bypassCache: true }),
    ...(start.routingMode && { routingMode: start.routingMode }),
    ...(start.approvalId && { approvalId: start.approvalId }),
    ...(start.wholeAnswer && { wholeAnswer: true }),
  };
}

function messageFromProto(message: ProtoMessage, path: string): ChatMessage {
  const role = roles[message.role];
  if (role === undefined) throw invalidRequest(`${path}.role`, "must be one of system, developer, user, assistant, tool");
  const parts = message.parts.map((part, index): ContentPart => {
    if (part.part.case === "text") return { type: "text", text: part.part.value };
    if (part.part.case === "image") {
      return { type: "image", url: part.part.value.url, ...(part.part.value.detail && { detail: part.part.value.detail }) };
    }
    throw invalidRequest(`${path}.content[${index}]`, "a content part needs text or an image");
  });
  return {
    role,
    parts,
    ...(message.name && { name: message.name }),
    ...(message.toolCalls.length > 0 && {
      toolCalls: message.toolCalls.map((call) => ({ id: call.id, name: call.name, argumentsJson: call.argumentsJson })),
    }),
    ...(message.toolCallId && { toolCallId: message.toolCallId }),
  };
}

function toolChoiceFromProto(choice: ProtoToolChoice | undefined): ToolChoice | undefined {
  if (choice === undefined) return undefined;
  switch (choice.mode) {
    case ToolChoice_Mode.UNSPECIFIED:
      return undefined;
    case ToolChoice_Mode.AUTO:
      return { mode: "auto" };
    case ToolChoice_Mode.NONE:
      return { mode: "none" };
    case ToolChoice_Mode.REQUIRED:
      return { mode: "required" };
    case ToolChoice_Mode.FUNCTION:
      if (!choice.functionName) throw invalidRequest("tool_choice.function.name", "is required");
      return { mode: "function", name: choice.functionName };
    default:
      throw invalidRequest("tool_choice", `unknown mode ${choice.mode}`);
  }
}

function responseFormatFromProto(format: ProtoResponseFormat | undefined): ResponseFormat | undefined {
  if (format === undefined) return undefined;
  switch (format.kind) {
    case ResponseFormat_Kind.UNSPECIFIED:
      return undefined;
    case ResponseFormat_Kind.TEXT:
      return { kind: "text" };
    case ResponseFormat_Kind.JSON_OBJECT:
      return { kind: "json_object" };
    case ResponseFormat_Kind.JSON_SCHEMA:
      if (!format.jsonSchema) throw invalidRequest("response_format.json_schema.schema", "is required");
      return { kind: "json_schema", name: format.schemaName || "response", schemaJson: format.jsonSchema, strict: format.strict };
    default:
      throw invalidRequest("response_format", `unknown kind ${format.kind}`);
  }
}
