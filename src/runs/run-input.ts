import { invalidRequest } from "../errors.js";
import type { ChatMessage, ResponseFormat, ToolChoice, ToolDefinition } from "../providers/types.js";

/** Everything a caller gives to start a run, after transport translation. */
export interface RunInput {
  messages: ChatMessage[];
  tools: ToolDefinition[];
  toolChoice?: ToolChoice;
  responseFormat?: ResponseFormat;
  /** A registry model id; empty or "auto" lets the gateway choose. */
  model?: string;
  agentId?: string;
  sessionId?: string;
  userId?: string;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop: string[];
  metadata: Record<string, string>;
  clientRequestId?: string;
  /** Serve only from the chosen model. */
  disableFailover?: boolean;
  /** Neither read nor fill the response cache. */
  bypassCache?: boolean;
  /** Smart-routing mode for this run ("suggest", "dry_run", "enforced"); unset uses the configured one. */
  routingMode?: string;
  /** A decided approval for a request a require_approval budget held. */
  approvalId?: string;
}

const toolNamePattern = /^[A-Za-z0-9_-]{1,64}$/;
/** Agent, session and user ids are budget scopes and ledger columns: ids, not documents. */
const maxAttributionIdLength = 256;
const attributionFields = [
  ["agentId", "agent_id", "the agent id (x-palyra-agent-id)"],
  ["sessionId", "session_id", "the session id (x-palyra-session-id)"],
  ["userId", "user_id", "the end-user id (OpenAI's user)"],
] as const;

/** Throws an invalid_request GatewayError naming an agent, session or user id that is too long or not printable. */
export function validateAttribution(input: { agentId?: string | undefined; sessionId?: string | undefined; userId?: string | undefined }): void {
  for (const [key, param, what] of attributionFields) {
    const id = input[key];
    if (id === undefined) continue;
    if (id.length > maxAttributionIdLength) throw invalidRequest(param, `${what} must be at most ${maxAttributionIdLength} characters`);
    // Control characters would end up in logs, CLI tables and policy scope ids.
    if (/[\u0000-\u001f\u007f]/.test(id)) throw invalidRequest(param, `${what} must not contain control characters`);
  }
}
const maxStopSequences = 4;

/** Throws an invalid_request GatewayError naming the first field that is wrong. */
export function validateRunInput(input: RunInput): void {
  validateAttribution(input);
  if (input.messages.length === 0) throw invalidRequest("messages", "at least one message is required");
  input.messages.forEach((message, index) => validateMessage(message, `messages[${index}]`));
  input.tools.forEach((tool, index) => validateTool(tool, `tools[${index}]`));

  const choice = input.toolChoice;
  if (choice?.mode === "function" && !input.tools.some((tool) => tool.name === choice.name)) {
    throw invalidRequest("tool_choice", `names the tool "${choice.name}", which is not among the tools`);
  }
  if (choice?.mode === "required" && input.tools.length === 0) {
    throw invalidRequest("tool_choice", '"required" needs at least one tool');
  }
  if (input.responseFormat?.kind === "json_schema") {
    parseJsonObject(input.responseFormat.schemaJson, "response_format.json_schema.schema");
  }
  if (input.maxTokens !== undefined && !(Number.isInteger(input.maxTokens) && input.maxTokens > 0)) {
    throw invalidRequest("max_tokens", "must be a positive integer");
  }
  if (input.temperature !== undefined && !(input.temperature >= 0 && input.temperature <= 2)) {
    throw invalidRequest("temperature", "must be between 0 and 2");
  }
  if (input.topP !== undefined && !(input.topP >= 0 && input.topP <= 1)) {
    throw invalidRequest("top_p", "must be between 0 and 1");
  }
  if (input.stop.length > maxStopSequences) {
    throw invalidRequest("stop", `at most ${maxStopSequences} stop sequences are allowed`);
  }
}

function validateMessage(message: ChatMessage, path: string): void {
  const hasContent = message.parts.length > 0;
  const hasToolCalls = (message.toolCalls?.length ?? 0) > 0;
  if (message.role === "assistant" ? !hasContent && !hasToolCalls : !hasContent) {
    throw invalidRequest(`${path}.content`, "must not be empty");
  }
  if (message.role === "tool" && !message.toolCallId) {
    throw invalidRequest(`${path}.tool_call_id`, "is required for tool messages");
  }
  if (message.role !== "assistant" && hasToolCalls) {
    throw invalidRequest(`${path}.tool_calls`, "only assistant messages carry tool calls");
  }
  message.parts.forEach((part, index) => {
    if (part.type !== "image") return;
    if (message.role !== "user") throw invalidRequest(`${path}.content[${index}]`, "images are only allowed in user messages");
    if (!/^https:\/\/\S+$/i.test(part.url) && !/^data:image\/[a-z0-9.+-]+;base64,/i.test(part.url)) {
      throw invalidRequest(`${path}.content[${index}].image_url.url`, "must be an https URL or a base64 data:image/... URL");
    }
  });
  message.toolCalls?.forEach((call, index) => {
    if (!call.id) throw invalidRequest(`${path}.tool_calls[${index}].id`, "is required");
    if (!toolNamePattern.test(call.name)) throw invalidRequest(`${path}.tool_calls[${index}].function.name`, "is not a valid tool name");
  });
}

function validateTool(tool: ToolDefinition, path: string): void {
  if (!toolNamePattern.test(tool.name)) {
    throw invalidRequest(`${path}.function.name`, "must be 1-64 letters, digits, underscores or dashes");
  }
  if (tool.parametersJson !== undefined && tool.parametersJson !== "") {
    parseJsonObject(tool.parametersJson, `${path}.function.parameters`);
  }
}

function parseJsonObject(text: string, param: string): void {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidRequest(param, "is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidRequest(param, "must be a JSON object");
  }
}
