import { describe, expect, it } from "vitest";
import { validateRunInput } from "../../src/runs/run-input.js";
import { GatewayError } from "../../src/shared/errors.js";
import type { RunInput } from "../../src/shared/run-input.js";

const valid: RunInput = { messages: [{ role: "user", parts: [{ type: "text", text: "hi" }] }], tools: [], stop: [], metadata: {} };

function paramOf(change: Partial<RunInput>): string | undefined {
  try {
    validateRunInput({ ...valid, ...change });
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).kind).toBe("invalid_request");
    return (error as GatewayError).param;
  }
}

describe("validateRunInput", () => {
  it("accepts a plain valid input", () => {
    expect(paramOf({})).toBeUndefined();
  });

  it("names the field at fault", () => {
    expect(paramOf({ messages: [] })).toBe("messages");
    expect(paramOf({ messages: [{ role: "user", parts: [] }] })).toBe("messages[0].content");
    expect(paramOf({ messages: [{ role: "tool", parts: [{ type: "text", text: "r" }] }] })).toBe("messages[0].tool_call_id");
    expect(paramOf({ messages: [{ role: "user", parts: [{ type: "image", url: "http://insecure.example/x.png" }] }] })).toBe(
      "messages[0].content[0].image_url.url",
    );
    expect(paramOf({ messages: [{ role: "system", parts: [{ type: "image", url: "https://x/y.png" }] }] })).toBe("messages[0].content[0]");
    expect(paramOf({ tools: [{ name: "has space" }] })).toBe("tools[0].function.name");
    expect(paramOf({ tools: [{ name: "ok", parametersJson: "[1]" }] })).toBe("tools[0].function.parameters");
    expect(paramOf({ tools: [{ name: "ok", parametersJson: "{" }] })).toBe("tools[0].function.parameters");
    expect(paramOf({ toolChoice: { mode: "function", name: "missing" }, tools: [{ name: "ok" }] })).toBe("tool_choice");
    expect(paramOf({ toolChoice: { mode: "required" } })).toBe("tool_choice");
    expect(paramOf({ maxTokens: 0 })).toBe("max_tokens");
    expect(paramOf({ temperature: 2.5 })).toBe("temperature");
    expect(paramOf({ topP: -1 })).toBe("top_p");
    expect(paramOf({ stop: ["a", "b", "c", "d", "e"] })).toBe("stop");
    expect(paramOf({ responseFormat: { kind: "json_schema", name: "x", schemaJson: "nope", strict: false } })).toBe("response_format.json_schema.schema");
    expect(paramOf({ userId: "u".repeat(257) })).toBe("user_id");
    expect(paramOf({ agentId: "bot\nforged log line" })).toBe("agent_id");
    expect(paramOf({ sessionId: "s".repeat(1000) })).toBe("session_id");
    expect(paramOf({ userId: "u".repeat(256), agentId: "support-bot/eu-1", sessionId: "a1b2-c3" })).toBeUndefined();
  });

  it("allows an assistant message that only carries tool calls", () => {
    expect(
      paramOf({
        messages: [
          { role: "user", parts: [{ type: "text", text: "q" }] },
          { role: "assistant", parts: [], toolCalls: [{ id: "c1", name: "f", argumentsJson: "{}" }] },
          { role: "tool", parts: [{ type: "text", text: "r" }], toolCallId: "c1" },
        ],
      }),
    ).toBeUndefined();
  });
});
