import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { FinishReason as ProtoFinishReason, type Usage as ProtoUsage } from "../../../gen/es/palyra/gateway/v1/common_pb.js";
import type { RunStreamResponseSchema } from "../../../gen/es/palyra/gateway/v1/gateway_pb.js";
import type { RunEvent } from "../../runs/run-events.js";
import type { FinishReason, Usage } from "../../shared/model-types.js";
import { toErrorDetail } from "../error-mapping.js";
import { toProtoErrorKind } from "../error-table.js";

type RunStreamEvent = MessageInitShape<typeof RunStreamResponseSchema>["event"];

const finishReasons: Record<FinishReason, ProtoFinishReason> = {
  stop: ProtoFinishReason.STOP,
  length: ProtoFinishReason.LENGTH,
  tool_calls: ProtoFinishReason.TOOL_CALLS,
  content_filter: ProtoFinishReason.CONTENT_FILTER,
};

export function usageToProto(usage: Usage): Omit<ProtoUsage, "$typeName"> {
  return {
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    cachedInputTokens: usage.cachedInputTokens,
    cacheWriteTokens: usage.cacheWriteTokens,
    totalTokens: usage.inputTokens + usage.outputTokens,
    estimated: usage.estimated,
  };
}

/** Translates one run event into the RunStream response's event. */
export function runEventToProto(event: RunEvent, runId: string): RunStreamEvent {
  switch (event.type) {
    case "accepted":
      return {
        case: "accepted",
        value: { createdAt: timestampFromDate(event.createdAt), modelId: event.modelId, providerId: event.providerId },
      };
    case "routing": {
      const { type: _type, smart, ...routing } = event;
      return {
        case: "routing",
        value: {
          ...routing,
          ...(smart !== undefined && {
            routingMode: smart.mode,
            complexity: smart.complexity,
            recommendedModel: smart.recommendedModel,
            dryRunChange: smart.dryRunChange,
          }),
        },
      };
    }
    case "attempt_failed":
      return {
        case: "attemptFailed",
        value: {
          attempt: event.attempt,
          modelId: event.modelId,
          providerId: event.providerId,
          kind: toProtoErrorKind(event.error.kind),
          message: event.error.message,
          next: event.next,
          backoffMs: event.backoffMs,
        },
      };
    case "delta":
      return { case: "delta", value: { text: event.text, toolCalls: event.toolCalls } };
    case "usage":
      return { case: "usage", value: { usage: usageToProto(event.usage) } };
    case "completed":
      return {
        case: "completed",
        value: {
          finishReason: finishReasons[event.finishReason],
          usage: usageToProto(event.usage),
          modelId: event.modelId,
          providerId: event.providerId,
          attempts: event.attempts,
          text: event.text,
          toolCalls: event.toolCalls,
          costUsd: event.costUsd,
          costEstimated: event.costEstimated,
        },
      };
    case "failed":
      return {
        case: "failed",
        value: {
          kind: toProtoErrorKind(event.error.kind),
          message: event.error.message,
          detail: toErrorDetail(event.error, runId),
        },
      };
    case "cancelled":
      return { case: "cancelled", value: { reason: event.reason } };
  }
}
