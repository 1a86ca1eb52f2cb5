import { create } from "@bufbuild/protobuf";
import { Role as ProtoRole, ResponseFormat_Kind, ToolChoice_Mode } from "../../../gen/es/palyra/gateway/v1/common_pb.js";
import { type StartRun, StartRunSchema } from "../../../gen/es/palyra/gateway/v1/gateway_pb.js";
import type { ResponseFormat, Role, ToolChoice } from "../../shared/model-types.js";
import type { RunInput } from "../../shared/run-input.js";

const roles: Record<Role, ProtoRole> = {
  system: ProtoRole.SYSTEM,
  developer: ProtoRole.DEVELOPER,
  user: ProtoRole.USER,
  assistant: ProtoRole.ASSISTANT,
  tool: ProtoRole.TOOL,
};

/** A stored run input back as a RunStream start envelope (the inverse of runInputFromProto), to show what a task runs. */
export function runInputToProto(input: RunInput): StartRun {
  return create(StartRunSchema, {
    messages: input.messages.map((message) => ({
      role: roles[message.role],
      parts: message.parts.map((part) =>
        part.type === "text"
          ? { part: { case: "text" as const, value: part.text } }
          : { part: { case: "image" as const, value: { url: part.url, detail: part.detail ?? "" } } },
      ),
      name: message.name ?? "",
      toolCalls: message.toolCalls ?? [],
      toolCallId: message.toolCallId ?? "",
    })),
    tools: input.tools.map((tool) => ({
      name: tool.name,
      description: tool.description ?? "",
      parametersJson: tool.parametersJson ?? "",
      strict: tool.strict ?? false,
    })),
    ...(input.toolChoice !== undefined && { toolChoice: toolChoiceToProto(input.toolChoice) }),
    ...(input.responseFormat !== undefined && { responseFormat: responseFormatToProto(input.responseFormat) }),
    model: input.model ?? "",
    agentId: input.agentId ?? "",
    sessionId: input.sessionId ?? "",
    userId: input.userId ?? "",
    ...(input.maxTokens !== undefined && { maxTokens: input.maxTokens }),
    ...(input.temperature !== undefined && { temperature: input.temperature }),
    ...(input.topP !== undefined && { topP: input.topP }),
    stop: input.stop,
    metadata: input.metadata,
    clientRequestId: input.clientRequestId ?? "",
    disableFailover: input.disableFailover ?? false,
    bypassCache: input.bypassCache ?? false,
    routingMode: input.routingMode ?? "",
    approvalId: input.approvalId ?? "",
    wholeAnswer: input.wholeAnswer ?? false,
  });
}

function toolChoiceToProto(choice: ToolChoice): { mode: ToolChoice_Mode; functionName: string } {
  switch (choice.mode) {
    case "auto":
      return { mode: ToolChoice_Mode.AUTO, functionName: "" };
    case "none":
      return { mode: ToolChoice_Mode.NONE, functionName: "" };
    case "required":
      return { mode: ToolChoice_Mode.REQUIRED, functionName: "" };
    case "function":
      return { mode: ToolChoice_Mode.FUNCTION, functionName: choice.name };
  }
}

function responseFormatToProto(format: ResponseFormat): { kind: ResponseFormat_Kind; schemaName: string; jsonSchema: string; strict: boolean } {
  switch (format.kind) {
    case "text":
      return { kind: ResponseFormat_Kind.TEXT, schemaName: "", jsonSchema: "", strict: false };
    case "json_object":
      return { kind: ResponseFormat_Kind.JSON_OBJECT, schemaName: "", jsonSchema: "", strict: false };
    case "json_schema":
      return { kind: ResponseFormat_Kind.JSON_SCHEMA, schemaName: format.name, jsonSchema: format.schemaJson, strict: format.strict ?? false };
  }
}
