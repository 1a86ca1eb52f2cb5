import type { GatewayError } from "../shared/errors.js";
import type { FinishReason, ToolCall, Usage } from "../shared/model-types.js";

export interface ToolCallDelta {
  index: number;
  id?: string;
  name?: string;
  argumentsFragment: string;
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
      smart?: { mode: string; complexity: number; recommendedModel: string; dryRunChange: string } | undefined;
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
