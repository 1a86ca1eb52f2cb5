import type { Kysely } from "kysely";
import type { Caller } from "../identity/caller.js";
import type { Usage } from "../shared/model-types.js";
import type { RunInput } from "../shared/run-input.js";
import type { TokenCount } from "../shared/tokens.js";
import type { Database, RunKind } from "../store/tables.js";

// The seams between the run engine and usage governance (src/governance): the engine asks, governance
// decides. Both are optional, so the engine runs without governance in unit tests.

/** A model that may serve a run: the admitted one, or a failover candidate. */
export interface ServingModel {
  modelId: string;
  providerId: string;
  upstreamModel: string;
  /** The most a request without max_tokens may get back from it. */
  maxOutputTokens: number;
}

/** Who a run is for, which models may serve it, and its worst case: what budgets judge. */
export interface BudgetQuery {
  caller: Caller;
  agentId?: string | undefined;
  sessionId?: string | undefined;
  userId?: string | undefined;
  /**
   * Every model that may serve the run, the admitted one first, then its failover candidates. The
   * first must fit the budgets; failover keeps to the others that fit too.
   */
  models: readonly ServingModel[];
  /**
   * The worst case on one of the models: the prompt by tokenizer, and the answer at max_tokens (or
   * the model's output cap). Only called when a budget applies and its limit is near (or there is no
   * upper bound), so others never pay for tokenizing.
   */
  projectTokens(model: ServingModel): { input: number; output: number };
  /**
   * The same without the tokenizer, never below projectTokens: budgets judge by it first, and count
   * exactly only when a limit is near. Absent: projectTokens is used.
   */
  projectTokensUpperBound?: ((model: ServingModel) => { input: number; output: number }) | undefined;
}

/** A run asking to be admitted. */
export interface AdmissionRequest extends BudgetQuery {
  runId: string;
  kind: RunKind;
  /** A decided approval the caller presents (StartRun.approval_id). */
  approvalId?: string | undefined;
  /** The request's fingerprint, so an approval is bound to the request it was asked for (computed on call). */
  requestHash(): string;
}

/**
 * What admission would decide for a query now (ExplainRouting, smart routing's budget preference):
 * admitted, with the models the run could be served by, or refused and why.
 */
export type BudgetOutcome = { admitted: true; models: readonly string[] } | { admitted: false; code: "budget_exceeded" | "approval_required"; message: string };

/**
 * Writes a run's row in the ledger (the runs table). Governance runs it inside the transaction that
 * reserves or charges the run's budgets, so counters and ledger never disagree, even across a crash.
 */
export type LedgerWrite<A extends unknown[] = []> = (db: Kysely<Database>, ...args: A) => Promise<void>;

/** An admitted run's reservation; opaque to the engine but for the models it may use. */
export interface Admission {
  readonly runId: string;
  /** The ids of the query's models the run may be served by within its budgets, in order; the first is the admitted one. */
  readonly models: readonly string[];
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

/** A run a killed daemon left running, with the checkpoint its last heartbeat carried. */
export interface InterruptedRun {
  runId: string;
  modelId: string;
  upstreamModel: string;
  /** Who it was for, in budget scope terms. */
  subject: { agentId?: string | undefined; sessionId?: string | undefined; userId?: string | undefined; apiKeyId?: string | undefined };
  /** What it had used by its last heartbeat (zero when it never sent one). */
  usage: Usage;
  /** When that was: the interval it is charged to. */
  at: number;
}

export interface RunGovernance {
  /**
   * Checks every applicable hard limit against consumed + reserved + projected, reserves the
   * projection and records the run as started (recordStart), in one transaction. Throws GatewayError
   * budget_exceeded or approval_required, and then nothing is recorded.
   */
  admit(request: AdmissionRequest, recordStart: LedgerWrite): Promise<Admission>;
  /**
   * Charges what the run used, releases the rest of its reservation and records the run's end with
   * its cost (recordEnd), in one transaction; returns the cost.
   */
  settle(admission: Admission, settlement: RunSettlement, recordEnd: LedgerWrite<[RunCost]>): Promise<RunCost>;
  /** What admission would decide now, without reserving anything or asking for approval. */
  preview(query: BudgetQuery): Promise<BudgetOutcome>;
  /**
   * Charges a run a killed daemon left unfinished its last checkpoint (estimated) and records its end
   * with that cost (recordEnd), in one transaction; at start-up, after reservations were released.
   */
  chargeInterrupted(run: InterruptedRun, recordEnd: LedgerWrite<[RunCost]>): Promise<RunCost>;
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
  /** `promptTokens` counts the request's prompt (once, however often it is asked), and bounds it for free. */
  decide(input: RunInput, context: { caller: Caller; promptTokens: TokenCount }): Promise<SmartRoutingDecision>;
}
