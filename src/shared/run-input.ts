import type { ChatMessage, ResponseFormat, ToolChoice, ToolDefinition } from "./model-types.js";

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
  /** The caller reads the answer whole: the upstream is asked for a non-streaming answer, whose usage is exact. */
  wholeAnswer?: boolean;
}
