import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ErrorDetailSchema, ErrorKind, ResponseFormat_Kind, Role, ToolChoice_Mode } from "../../gen/es/palyra/gateway/v1/common_pb.js";
import { parseChatRequest, toStartRun } from "../../src/http/openai/chat-request.js";
import { type OpenAIRequestError, toOpenAIError } from "../../src/http/openai/openai-error.js";
import { runInputFromProto } from "../../src/rpc/convert/run-input-from-proto.js";
import { toConnectError } from "../../src/rpc/error-mapping.js";
import { GatewayError } from "../../src/shared/errors.js";

describe("OpenAI chat request -> StartRun -> run input", () => {
  const body = {
    model: "m",
    messages: [
      { role: "developer", content: "rules" },
      {
        role: "user",
        content: [
          { type: "text", text: "look" },
          { type: "image_url", image_url: { url: "https://img.example/a.png", detail: "low" } },
        ],
      },
      { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: '{"a":1}' } }] },
      { role: "tool", tool_call_id: "c1", content: "42" },
    ],
    tools: [{ type: "function", function: { name: "f", parameters: { type: "object" }, strict: true } }],
    tool_choice: { type: "function", function: { name: "f" } },
    response_format: { type: "json_schema", json_schema: { name: "out", schema: { type: "object" }, strict: true } },
    max_tokens: 10,
    max_completion_tokens: 20,
    temperature: 0,
    stop: "END",
    user: "u-1",
    metadata: { team: "a" },
    some_future_field: true,
  };

  it("keeps every part of the conversation through both translations", () => {
    const start = toStartRun(parseChatRequest(body), { agentId: "agent", sessionId: "s" });
    expect(start.messages.map((m) => m.role)).toEqual([Role.DEVELOPER, Role.USER, Role.ASSISTANT, Role.TOOL]);
    expect(start.toolChoice).toMatchObject({ mode: ToolChoice_Mode.FUNCTION, functionName: "f" });
    expect(start.responseFormat).toMatchObject({ kind: ResponseFormat_Kind.JSON_SCHEMA, schemaName: "out", strict: true });
    // max_completion_tokens supersedes the deprecated max_tokens.
    expect(start.maxTokens).toBe(20);
    expect(start.temperature).toBe(0);

    const input = runInputFromProto(start);
    expect(input).toMatchObject({
      model: "m",
      agentId: "agent",
      sessionId: "s",
      userId: "u-1",
      stop: ["END"],
      metadata: { team: "a" },
      temperature: 0,
      maxTokens: 20,
    });
    expect(input.messages[1]?.parts).toEqual([
      { type: "text", text: "look" },
      { type: "image", url: "https://img.example/a.png", detail: "low" },
    ]);
    expect(input.messages[2]).toMatchObject({ role: "assistant", parts: [], toolCalls: [{ id: "c1", name: "f", argumentsJson: '{"a":1}' }] });
    expect(input.messages[3]).toMatchObject({ role: "tool", toolCallId: "c1", parts: [{ type: "text", text: "42" }] });
    expect(input.tools).toEqual([{ name: "f", parametersJson: '{"type":"object"}', strict: true }]);
    expect(input.responseFormat).toEqual({ kind: "json_schema", name: "out", schemaJson: '{"type":"object"}', strict: true });
  });

  it("names the field at fault in OpenAI notation", () => {
    const paramOf = (value: unknown) => {
      try {
        parseChatRequest(value);
      } catch (error) {
        return (error as OpenAIRequestError).param;
      }
    };
    expect(paramOf({ messages: [{ role: "user", content: [{ type: "input_audio" }] }] })).toBe("messages[0].content");
    expect(paramOf({ messages: [{ role: "user", content: "x" }], tool_choice: "sometimes" })).toBe("tool_choice");
    expect(paramOf({ messages: [{ role: "user", content: "x" }], stream: "yes" })).toBe("stream");
    expect(paramOf("text")).toBeNull();
  });
});

describe("error mapping", () => {
  it("maps core kinds to Connect codes with a typed detail", () => {
    const error = toConnectError(new GatewayError("budget_exceeded", "over budget", { code: "budget_exceeded", retryAfterMs: 1500 }));
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.findDetails(ErrorDetailSchema)[0]).toMatchObject({ kind: ErrorKind.BUDGET_EXCEEDED, retryAfterMs: 1500 });
    expect(toConnectError(new Error("boom")).code).toBe(Code.Internal);
    expect(toConnectError(new GatewayError("timeout", "slow")).code).toBe(Code.DeadlineExceeded);
  });

  it("maps Connect errors to OpenAI statuses, types and Retry-After", () => {
    const cases: [GatewayError, number, string][] = [
      [new GatewayError("invalid_request", "bad", { param: "x" }), 400, "invalid_request_error"],
      [new GatewayError("auth", "who"), 401, "authentication_error"],
      [new GatewayError("permission", "no"), 403, "permission_error"],
      [new GatewayError("not_found", "gone"), 404, "invalid_request_error"],
      [new GatewayError("rate_limit", "slow down"), 429, "rate_limit_error"],
      [new GatewayError("quota", "out of credit"), 429, "insufficient_quota"],
      [new GatewayError("malformed_response", "garbage"), 502, "api_error"],
      [new GatewayError("circuit_open", "open"), 503, "service_unavailable_error"],
      [new GatewayError("timeout", "slow"), 504, "timeout_error"],
      [new GatewayError("internal", "oops"), 500, "api_error"],
    ];
    for (const [error, status, type] of cases) {
      const answer = toOpenAIError(toConnectError(error));
      expect([answer.status, answer.body.error.type], error.kind).toEqual([status, type]);
      expect(answer.body.error.message).toBe(error.message);
    }
    const limited = toOpenAIError(toConnectError(new GatewayError("rate_limit", "wait", { retryAfterMs: 2100 })));
    expect(limited.retryAfterSeconds).toBe(3);
    expect(toOpenAIError(new ConnectError("raw", Code.Unauthenticated)).status).toBe(401);
    expect(toOpenAIError(new TypeError("surprise")).status).toBe(500);
  });
});
