import { createHash, randomUUID } from "node:crypto";
import type { ResolvedModel } from "../registry/model-registry.js";
import type { RouteCandidate } from "../registry/route-candidates.js";
import type { Store } from "../store/open-store.js";
import type { RunKind } from "../store/tables.js";
import type { SettleRun } from "./close-run.js";
import type { BudgetQuery, LedgerWrite, RunGovernance } from "../governance/run-governance.js";
import { type RunAttribution, type RunRouting, recordRunStart } from "./run-records.js";

/** What budgets judge a run by (computed only when governance asks): its worst case, and the fingerprint approvals bind to. */
export interface BudgetTerms {
  query: BudgetQuery;
  requestHash: () => string;
  approvalId?: string | undefined;
}

/** An admitted run, recorded as running. */
export interface AdmittedRun {
  runId: string;
  startedAt: number;
  /** Charges its budgets and records its end; undefined without governance. */
  settle: SettleRun | undefined;
  /** The models its budgets let it be served by, in order; undefined without governance (any). */
  affordable: readonly string[] | undefined;
}

/**
 * Admits a run and records it as running, before any upstream call, so no admitted run goes
 * unrecorded. With governance both happen in the transaction that reserves the run's worst case;
 * governance may refuse the run there, and then nothing is recorded.
 */
export async function admitRun(
  deps: { store: Pick<Store, "db">; governance?: RunGovernance | undefined; now: () => number },
  run: { kind: RunKind; resolved: ResolvedModel; attribution: RunAttribution; budget: BudgetTerms; routing?: RunRouting | undefined },
): Promise<AdmittedRun> {
  const runId = randomUUID();
  const startedAt = deps.now();
  const { kind, resolved, attribution, budget, routing } = run;
  const recordStart: LedgerWrite = (db) => recordRunStart(db, { runId, kind, startedAt, resolved, attribution, routing });
  const governance = deps.governance;
  if (governance === undefined) {
    await recordStart(deps.store.db);
    return { runId, startedAt, settle: undefined, affordable: undefined };
  }
  const admission = await governance.admit({ ...budget.query, runId, kind, approvalId: budget.approvalId, requestHash: once(budget.requestHash) }, recordStart);
  return { runId, startedAt, settle: (settlement, recordEnd) => governance.settle(admission, settlement, recordEnd), affordable: admission.models };
}

/** The models that may serve a chat: the kept candidates in order, or the admitted one when every circuit is open. */
export function servingModels(plan: readonly RouteCandidate[], resolved: ResolvedModel) {
  const kept = plan.filter((candidate) => candidate.kept).map((candidate) => candidate.model);
  return kept.length > 0 ? kept : [resolved.model];
}

/** What budgets judge a one-shot run by: its caller and scopes, its one model, and its tokens. */
export function unaryBudgetQuery(attribution: RunAttribution, { model }: ResolvedModel, projectTokens: () => { input: number; output: number }): BudgetQuery {
  const { caller, agentId, sessionId, userId } = attribution;
  const { modelId, providerId, upstreamModel, maxOutputTokens } = model;
  return { caller, agentId, sessionId, userId, models: [{ modelId, providerId, upstreamModel, maxOutputTokens }], projectTokens };
}

/** A fingerprint of a one-shot request, for binding approvals to the request they were asked for. */
export function hashRequest(...parts: unknown[]): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex");
}

export function once<T>(compute: () => T): () => T {
  let value: { computed: T } | undefined;
  return () => (value ??= { computed: compute() }).computed;
}
