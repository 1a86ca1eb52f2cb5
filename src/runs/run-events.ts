import { GatewayError } from "../shared/errors.js";
import type { FinishReason, ToolCall, Usage } from "../shared/model-types.js";
import type { ChatAnswer } from "./chat-answer.js";
import type { RunEnd } from "./run-end.js";
import type { ToolCallDelta } from "./run-output.js";

/** Smart routing's decision, as the routing event reports it. */
export interface SmartRoutingReport {
  mode: string;
  complexity: number;
  recommendedModel: string;
  dryRunChange: string;
}

/** What a run reports while it runs. A run ends with exactly one of completed, failed or cancelled. */
export type RunEvent =
  | { type: "accepted"; createdAt: Date; modelId: string; providerId: string }
  | {
      /** Which model serves the run; sent once an upstream answered (or the cache did). */
      type: "routing";
      requestedModel: string;
      selectedModel: string;
      providerId: string;
      upstreamModel: string;
      reason: string;
      attempts: number;
      cacheHit: boolean;
      /** What smart routing decided, when it ran. */
      smart?: SmartRoutingReport | undefined;
    }
  | {
      type: "attempt_failed";
      attempt: number;
      modelId: string;
      providerId: string;
      error: GatewayError;
      next: "retry" | "failover" | "give_up";
      backoffMs: number;
    }
  | { type: "delta"; text: string; toolCalls: ToolCallDelta[] }
  | { type: "usage"; usage: Usage }
  | {
      type: "completed";
      finishReason: FinishReason;
      usage: Usage;
      modelId: string;
      providerId: string;
      attempts: number;
      text: string;
      toolCalls: ToolCall[];
      costUsd: number;
      costEstimated: boolean;
    }
  | { type: "failed"; error: GatewayError }
  | { type: "cancelled"; reason: string };

export type TerminalRunEvent = Extract<RunEvent, { type: "completed" | "failed" | "cancelled" }>;

/** The event that ends a chat run's stream, made from its recorded end (and, when it succeeded, its answer). */
export function terminalEvent(end: RunEnd, answer: ChatAnswer | undefined): TerminalRunEvent {
  if (end.status === "cancelled") return { type: "cancelled", reason: end.error.message };
  if (end.status === "succeeded" && answer !== undefined) {
    return {
      type: "completed",
      ...answer,
      modelId: end.servedBy.modelId,
      providerId: end.servedBy.providerId,
      attempts: end.attempts,
      costUsd: end.cost.costUsd,
      costEstimated: end.cost.costEstimated,
    };
  }
  // A chat run succeeds only with its answer; this fallback only satisfies the types.
  return { type: "failed", error: end.error ?? new GatewayError("internal", "the run ended without an answer") };
}
