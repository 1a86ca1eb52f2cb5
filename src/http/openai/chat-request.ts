import type { MessageInitShape } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import { z } from "zod";
import { type ContentPartSchema, type MessageSchema, ResponseFormat_Kind, Role, ToolChoice_Mode } from "../../../gen/es/palyra/gateway/v1/common_pb.js";
import { type StartRun, StartRunSchema } from "../../../gen/es/palyra/gateway/v1/gateway_pb.js";
import { parseOpenAIBody } from "./parse-body.js";

// The OpenAI chat request shape. Unknown top-level fields are tolerated, as OpenAI's SDKs add new
// ones often. This schema checks only what translation needs (types and shapes, named by their OpenAI
// path); what a run's input may hold (counts, ranges, names, JSON) is checked once, for every surface, by
// the run engine (src/runs/run-input.ts), whose errors name the same fields.

const textPart = z.object({ type: z.literal("text"), text: z.string() });
const imagePart = z.object({
  type: z.literal("image_url"),
  image_url: z.object({ url: z.string(), detail: z.enum(["auto", "low", "high"]).optional() }),
});
const contentPart = z.discriminatedUnion("type", [textPart, imagePart], {
  error: 'content parts must be of type "text" or "image_url"',
});
const content = z.union([z.string(), z.array(contentPart)]);

const toolCall = z.object({
  id: z.string(),
  type: z.literal("function").default("function"),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

const message = z.discriminatedUnion(
  "role",
  [
    z.object({ role: z.literal("system"), content, name: z.string().optional() }),
    z.object({ role: z.literal("developer"), content, name: z.string().optional() }),
    z.object({ role: z.literal("user"), content, name: z.string().optional() }),
    z.object({
      role: z.literal("assistant"),
      content: content.nullish(),
      name: z.string().optional(),
      tool_calls: z.array(toolCall).optional(),
    }),
    z.object({ role: z.literal("tool"), content, tool_call_id: z.string() }),
  ],
  { error: "role must be one of system, developer, user, assistant, tool" },
);

const tool = z.object({
  type: z.literal("function"),
  function: z.object({
    name: z.string(),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});

const toolChoice = z.union([z.enum(["auto", "none", "required"]), z.object({ type: z.literal("function"), function: z.object({ name: z.string().min(1) }) })]);

const responseFormat = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object") }),
  z.object({
    type: z.literal("json_schema"),
    json_schema: z.object({
      name: z.string().min(1),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

export const chatRequestSchema = z.object({
  model: z.string().optional(),
  messages: z.array(message),
  tools: z.array(tool).optional(),
  tool_choice: toolChoice.optional(),
  response_format: responseFormat.optional(),
  max_tokens: z.number().nullish(),
  max_completion_tokens: z.number().nullish(),
  temperature: z.number().nullish(),
  top_p: z.number().nullish(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  user: z.string().optional(),
  n: z.literal(1, { error: "only n = 1 is supported" }).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
});

export type ChatRequest = z.output<typeof chatRequestSchema>;

/** Parses an OpenAI chat request body, naming the first field at fault. */
export function parseChatRequest(body: unknown): ChatRequest {
  return parseOpenAIBody(chatRequestSchema, body);
}

const roles = { system: Role.SYSTEM, developer: Role.DEVELOPER, user: Role.USER, assistant: Role.ASSISTANT, tool: Role.TOOL };

/** Caller identity the gateway reads from headers rather than the OpenAI body. */
export interface ChatRequestContext {
  agentId?: string | undefined;
  sessionId?: string | undefined;
  clientRequestId?: string | undefined;
  /** x-palyra-failover: off */
  disableFailover?: boolean;
  /** Cache-Control: no-cache */
  bypassCache?: boolean;
  /** x-palyra-routing-mode */
  routingMode?: string | undefined;
  /** x-palyra-approval-id */
  approvalId?: string | undefined;
}

/** Translates an OpenAI chat request into the RunStream start envelope. */
export function toStartRun(request: ChatRequest, context: ChatRequestContext): StartRun {
  const maxTokens = request.max_completion_tokens ?? request.max_tokens ?? undefined;
  return create(StartRunSchema, {
    model: request.model ?? "",
    messages: request.messages.map(toProtoMessage),
    tools: (request.tools ?? []).map(({ function: fn }) => ({
      name: fn.name,
      description: fn.description ?? "",
      parametersJson: fn.parameters === undefined ? "" : JSON.stringify(fn.parameters),
      strict: fn.strict ?? false,
    })),
    ...(request.tool_choice !== undefined && { toolChoice: toProtoToolChoice(request.tool_choice) }),
    ...(request.response_format !== undefined && { responseFormat: toProtoResponseFormat(request.response_format) }),
    ...(maxTokens !== undefined && { maxTokens }),
    ...(request.temperature != null && { temperature: request.temperature }),
    ...(request.top_p != null && { topP: request.top_p }),
    stop: request.stop == null ? [] : typeof request.stop === "string" ? [request.stop] : request.stop,
    userId: request.user ?? "",
    metadata: request.metadata ?? {},
    agentId: context.agentId ?? "",
    sessionId: context.sessionId ?? "",
    clientRequestId: context.clientRequestId ?? "",
    disableFailover: context.disableFailover ?? false,
    bypassCache: context.bypassCache ?? false,
    routingMode: context.routingMode ?? "",
    approvalId: context.approvalId ?? "",
    wholeAnswer: request.stream !== true,
  });
}

type ProtoMessageInit = MessageInitShape<typeof MessageSchema>;
type ProtoPartInit = MessageInitShape<typeof ContentPartSchema>;

function toProtoMessage(message: ChatRequest["messages"][number]): ProtoMessageInit {
  const parts = toProtoParts(message.content ?? []);
  const base: ProtoMessageInit = { role: roles[message.role], parts, name: "name" in message ? (message.name ?? "") : "" };
  if (message.role === "assistant" && message.tool_calls) {
    base.toolCalls = message.tool_calls.map((call) => ({ id: call.id, name: call.function.name, argumentsJson: call.function.arguments }));
  }
  if (message.role === "tool") base.toolCallId = message.tool_call_id;
  return base;
}

function toProtoParts(content: string | z.output<typeof contentPart>[]): ProtoPartInit[] {
  if (typeof content === "string") return content === "" ? [] : [{ part: { case: "text", value: content } }];
  return content.map((part) =>
    part.type === "text"
      ? { part: { case: "text", value: part.text } }
      : { part: { case: "image", value: { url: part.image_url.url, detail: part.image_url.detail ?? "" } } },
  );
}

function toProtoToolChoice(choice: z.output<typeof toolChoice>): MessageInitShape<typeof StartRunSchema>["toolChoice"] {
  if (choice === "auto") return { mode: ToolChoice_Mode.AUTO };
  if (choice === "none") return { mode: ToolChoice_Mode.NONE };
  if (choice === "required") return { mode: ToolChoice_Mode.REQUIRED };
  return { mode: ToolChoice_Mode.FUNCTION, functionName: choice.function.name };
}

function toProtoResponseFormat(format: z.output<typeof responseFormat>): MessageInitShape<typeof StartRunSchema>["responseFormat"] {
  if (format.type === "text") return { kind: ResponseFormat_Kind.TEXT };
  if (format.type === "json_object") return { kind: ResponseFormat_Kind.JSON_OBJECT };
  return {
    kind: ResponseFormat_Kind.JSON_SCHEMA,
    schemaName: format.json_schema.name,
    jsonSchema: JSON.stringify(format.json_schema.schema ?? {}),
    strict: format.json_schema.strict ?? false,
  };
}
