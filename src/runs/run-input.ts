import { invalidRequest } from "../shared/errors.js";
import type { ChatMessage, ToolDefinition } from "../shared/model-types.js";
import type { RunInput } from "../shared/run-input.js";
import {
  checkId,
  checkJsonDepth,
  checkJsonObjectText,
  checkMetadata,
  maxAudioBytes,
  maxEmbeddingDimensions,
  maxEmbeddingInputs,
  maxEmbeddingValues,
  maxIdLength,
  maxOutputTokens,
  maxStopSequences,
  maxTools,
  maxTranscriptionPromptChars,
  shown,
} from "./input-limits.js";
import type { EmbedInput, TranscribeInput } from "./unary-input.js";

// Every run kind's input is validated here, once, before it is admitted: chat (validateRunInput),
// embeddings and transcription. Errors name the field in the caller's terms.

const toolNamePattern = /^[A-Za-z0-9_-]{1,64}$/;
const attributionFields = [
  ["agentId", "agent_id", "the agent id (x-palyra-agent-id)"],
  ["sessionId", "session_id", "the session id (x-palyra-session-id)"],
  ["userId", "user_id", "the end-user id (OpenAI's user)"],
] as const;

/** The ids every run kind carries, bounded because they are stored with the run and echoed in errors. */
export interface RunIds {
  model?: string | undefined;
  agentId?: string | undefined;
  sessionId?: string | undefined;
  userId?: string | undefined;
  clientRequestId?: string | undefined;
}

/** Throws an invalid_request GatewayError naming an id (model, agent, session, user, request id) that is too long or not printable. */
export function validateRunIds(input: RunIds): void {
  checkId("model", input.model, "the model name");
  for (const [key, param, what] of attributionFields) checkId(param, input[key], what);
  checkId("client_request_id", input.clientRequestId, "the request id (x-request-id)");
}

/** Throws an invalid_request GatewayError naming the first field that is wrong. */
export function validateRunInput(input: RunInput): void {
  validateRunIds(input);
  checkId("approval_id", input.approvalId, "the approval id");
  checkId("routing_mode", input.routingMode, "the routing mode");
  checkMetadata(input.metadata);
  if (input.messages.length === 0) throw invalidRequest("messages", "at least one message is required");
  input.messages.forEach((message, index) => validateMessage(message, `messages[${index}]`));
  if (input.tools.length > maxTools) throw invalidRequest("tools", `at most ${maxTools} tools are allowed`);
  input.tools.forEach((tool, index) => validateTool(tool, `tools[${index}]`));

  const choice = input.toolChoice;
  if (choice?.mode === "function" && !input.tools.some((tool) => tool.name === choice.name)) {
    throw invalidRequest("tool_choice", `names the tool ${shown(choice.name)}, which is not among the tools`);
  }
  if (choice?.mode === "required" && input.tools.length === 0) {
    throw invalidRequest("tool_choice", '"required" needs at least one tool');
  }
  if (input.responseFormat?.kind === "json_schema") {
    checkJsonObjectText("response_format.json_schema.schema", input.responseFormat.schemaJson);
  }
  if (input.maxTokens !== undefined && !(Number.isInteger(input.maxTokens) && input.maxTokens > 0 && input.maxTokens <= maxOutputTokens)) {
    throw invalidRequest("max_tokens", `must be a positive integer no larger than ${maxOutputTokens}`);
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
    // Providers that send arguments as an object (Anthropic's tool_use.input) parse and re-serialise them.
    checkJsonDepth(`${path}.tool_calls[${index}].function.arguments`, call.argumentsJson);
  });
}

function validateTool(tool: ToolDefinition, path: string): void {
  if (!toolNamePattern.test(tool.name)) {
    throw invalidRequest(`${path}.function.name`, "must be 1-64 letters, digits, underscores or dashes");
  }
  if (tool.parametersJson !== undefined && tool.parametersJson !== "") {
    checkJsonObjectText(`${path}.function.parameters`, tool.parametersJson);
  }
}

/** Throws an invalid_request GatewayError naming the first field of an embeddings request that is wrong. */
export function validateEmbedInput(input: EmbedInput): void {
  validateRunIds(input);
  if (input.inputs.length === 0) throw invalidRequest("input", "at least one input is required");
  if (input.inputs.length > maxEmbeddingInputs) throw invalidRequest("input", `at most ${maxEmbeddingInputs} inputs are allowed per request`);
  const empty = input.inputs.findIndex((text) => text.length === 0);
  if (empty >= 0) throw invalidRequest(`input[${empty}]`, "must not be empty");
  if (input.dimensions !== undefined && !(Number.isInteger(input.dimensions) && input.dimensions > 0 && input.dimensions <= maxEmbeddingDimensions)) {
    throw invalidRequest("dimensions", `must be a positive integer no larger than ${maxEmbeddingDimensions}`);
  }
  if (input.dimensions !== undefined && input.dimensions * input.inputs.length > maxEmbeddingValues) {
    throw invalidRequest(
      "dimensions",
      `${input.inputs.length} inputs of ${input.dimensions} dimensions pass the ${maxEmbeddingValues} values one answer may hold`,
    );
  }
}

/** Throws an invalid_request GatewayError naming the first field of a transcription request that is wrong. */
export function validateTranscribeInput(input: TranscribeInput): void {
  validateRunIds(input);
  if (input.fileName.length > maxIdLength) throw invalidRequest("file", `the file name must be at most ${maxIdLength} characters`);
  if (input.mimeType.length > maxIdLength) throw invalidRequest("file", `the content type must be at most ${maxIdLength} characters`);
  if ((input.language?.length ?? 0) > 32) throw invalidRequest("language", "must be a language code such as en or pt-BR");
  if ((input.prompt?.length ?? 0) > maxTranscriptionPromptChars) throw invalidRequest("prompt", `must be at most ${maxTranscriptionPromptChars} characters`);
  if (input.audio.byteLength === 0) throw invalidRequest("file", "the audio file is empty");
  if (input.audio.byteLength > maxAudioBytes) throw invalidRequest("file", `the audio file is larger than ${maxAudioBytes / 1024 / 1024} MB`);
  if (input.temperature !== undefined && !(input.temperature >= 0 && input.temperature <= 1)) {
    throw invalidRequest("temperature", "must be between 0 and 1");
  }
}
