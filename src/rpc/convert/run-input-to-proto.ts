import type { MessageInitShape } from "@bufbuild/protobuf";
import { Role as ProtoRole, ResponseFormat_Kind, ToolChoice_Mode } from "../../../gen/es/palyra/gateway/v1/common_pb.js";
import type { StartRunSchema } from "../../../gen/es/palyra/gateway/v1/gateway_pb.js";
import type { Role } from "../../shared/model-types.js";
import type { RunInput } from "../../shared/run-input.js";

const roles: Record<Role, ProtoRole> = {
  system: ProtoRole.SYSTEM,
  developer: ProtoRole.DEVELOPER,
  user: ProtoRole.USER,
  assistant: ProtoRole.ASSISTANT,
  tool: ProtoRole.TOOL,
};

const toolChoiceModes = { auto: ToolChoice_Mode.AUTO, none: ToolChoice_Mode.NONE, required: ToolChoice_Mode.REQUIRED, function: ToolChoice_Mode.FUNCTION };

/** A stored run envelope back as RunStream's start message (the inverse of runInputFromProto), for returning a job's run. */
export function runInputToProto(input: RunInput): MessageInitShape<typeof StartRunSchema> {
  const format = input.responseFormat;
  return {
    messages: input.messages.map((message) => ({
      role: roles[message.role],
      parts: message.parts.map((part) =>
        part.type === "text" ? { part: { case: "text", value: part.text } } : { part: { case: "image", value: { url: part.url, detail: part.detail ?? "" } } },
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
    ...(input.toolChoice && {
      toolChoice: { mode: toolChoiceModes[input.toolChoice.mode], functionName: input.toolChoice.mode === "function" ? input.toolChoice.name : "" },
    }),
    ...(format && {
      responseFormat:
        format.kind === "json_schema"
          ? { kind: ResponseFormat_Kind.JSON_SCHEMA, schemaName: format.name, jsonSchema: format.schemaJson, strict: format.strict }
          : { kind: format.kind === "text" ? ResponseFormat_Kind.TEXT : ResponseFormat_Kind.JSON_OBJECT },
    }),
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
  };
}
