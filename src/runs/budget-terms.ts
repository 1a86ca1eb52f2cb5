import { createHash } from "node:crypto";
import type { BudgetQuery } from "../governance/run-governance.js";
import type { ResolvedModel } from "../registry/model-registry.js";
import type { RouteCandidate } from "../registry/route-candidates.js";
import type { RunAttribution } from "./run-records.js";

/** What budgets judge a run by (computed only when governance asks): its worst case, and the fingerprint approvals bind to. */
export interface BudgetTerms {
  query: BudgetQuery;
  requestHash: () => string;
  approvalId?: string | undefined;
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
