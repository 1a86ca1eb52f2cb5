import type { Caller } from "../identity/caller.js";
import type { Usage } from "../providers/types.js";
import type { RunKind } from "../store/tables.js";
import type { RunInput } from "./run-input.js";

// The seams between the run engine and usage governance (src/governance): the engine asks, governance
// decides. Both are optional, so the engine runs without governance in unit tests.

/** A run asking to be admitted: who, on which model, and its worst case. */
export interface AdmissionRequest {
  runId: string;
  kind: RunKind;
  caller: Caller;
  agentId?: string | undefined;
  sessionId?: string | undefined;
  userId?: string | undefined;
  modelId: string;
  providerId: string;
  upstreamModel: string;
  /**
   * Worst case: the prompt by tokenizer, and the answer at its max_tokens (or the model's output cap).
   * Computed on first call, so requests no budget applies to never pay for tokenizing.
   */
  projectTokens(): { input: number; output: number };
  /** A decided approval the caller presents (StartRun.approval_id). */
  approvalId?: string | undefined;
  /** The request's fingerprint, so an approval is bound to the request it was asked for (computed on call). */
  requestHash(): string;
}

/** An admitted run's reservation; opaque to the engine. */
export interface Admission {
  readonly runId: string;
}

export interface RunSettlement {
  status: "succeeded" | "failed" | "cancelled";
  modelId: string;
  providerId: string;
  upstreamModel: string;
  /** For failed and cancelled runs: only what the upstream reported. */
  usage: Usage | undefined;
  cacheHit: boolean;
}

export interface RunCost {
  costUsd: number;
  /** The usage was estimated, or the model has no price. */
  costEstimated: boolean;
}

export interface RunGovernance {
  /**
   * Checks every applicable hard limit against consumed + reserved + projected and reserves the
   * projection, atomically. Throws GatewayError budget_exceeded or approval_required.
   */
  admit(request: AdmissionRequest): Promise<Admission>;
  /** Charges what the run used, releases the rest of its reservation, and returns its cost. */
  settle(admission: Admission, settlement: RunSettlement): Promise<RunCost>;
}

/** What smart routing decided for a chat request. */
export interface SmartRoutingDecision {
  mode: "off" | "suggest" | "dry_run" | "enforced";
  complexity: number;
  recommendedModelId: string | undefined;
  /** The model the run must use instead of the requested/default one (enforced mode only). */
  overrideModelId: string | undefined;
  reason: string;
  /** dry_run: what enforcement would have changed, in words; empty when nothing. */
  dryRunChange: string;
}

export interface SmartRouter {
  decide(input: RunInput, context: { caller: Caller }): Promise<SmartRoutingDecision>;
}
