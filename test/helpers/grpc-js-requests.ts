import { Role } from "../../gen/grpc-js/palyra/gateway/v1/common.js";
import type { RunStreamRequest, StartRun } from "../../gen/grpc-js/palyra/gateway/v1/gateway.js";

/** The RunStream start request of a one-message chat, every field spelled out as the grpc-js types want. */
export function startOf(text: string, overrides: Partial<StartRun> = {}): RunStreamRequest {
  return {
    start: {
      messages: [{ role: Role.ROLE_USER, parts: [{ text }], name: "", toolCalls: [], toolCallId: "" }],
      tools: [],
      model: "palyra-echo",
      agentId: "",
      sessionId: "",
      userId: "",
      stop: [],
      metadata: {},
      clientRequestId: "",
      disableFailover: false,
      bypassCache: false,
      routingMode: "",
      approvalId: "",
      wholeAnswer: false,
      ...overrides,
    },
  };
}
