import type { Kysely } from "kysely";
import { GatewayError } from "../../shared/errors.js";
import { findApproval, findPendingApproval, insertApproval, listApprovalRows, transitionApproval } from "../../store/budget-approvals-repository.js";
import type { ApprovalState, BudgetApprovalRow, Database } from "../../store/tables.js";

/** A request a require_approval policy held, and what became of it. */
export interface Approval {
  approvalId: string;
  policyId: string;
  state: ApprovalState;
  callerId: string;
  agentId: string | undefined;
  sessionId: string | undefined;
  userId: string | undefined;
  modelId: string;
  projectedValue: number;
  requestHash: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  decidedAt: number | undefined;
  reason: string | undefined;
}

/** Who asks, for what: the request an approval is bound to. */
export interface ApprovalRequest {
  callerId: string;
  agentId?: string | undefined;
  sessionId?: string | undefined;
  userId?: string | undefined;
  modelId: string;
  requestHash: string;
}

/** What presenting an approval id came to. */
export type PresentedApproval =
  | { kind: "used" }
  | { kind: "pending"; approvalId: string }
  | { kind: "denied"; approvalId: string; reason: string | undefined }
  /** Unknown, for another request or caller, or already used: the request is held anew. */
  | { kind: "unusable"; note: string };

// ListApprovals has no paging; the newest this many are listed.
export const approvalsListLimit = 1000;

/**
 * Uses an approval for the request it was granted for, once: approved → consumed, within the
 * admission's transaction, so two requests presenting it at once cannot both pass.
 */
export async function usePresentedApproval(db: Kysely<Database>, approvalId: string, request: ApprovalRequest): Promise<PresentedApproval> {
  const row = await findApproval(db, approvalId);
  if (row === undefined) return { kind: "unusable", note: `approval ${approvalId} does not exist` };
  if (row.request_hash !== request.requestHash || row.caller_id !== request.callerId) {
    return { kind: "unusable", note: `approval ${approvalId} was asked for another request` };
  }
  if (row.state === "pending") return { kind: "pending", approvalId };
  if (row.state === "denied") return { kind: "denied", approvalId, reason: row.reason ?? undefined };
  if (row.state === "approved" && (await transitionApproval(db, approvalId, "approved", { state: "consumed" }))) return { kind: "used" };
  return { kind: "unusable", note: `approval ${approvalId} was already used` };
}

/**
 * Records that a request waits for approval under a policy, and returns the approval's id. A retried
 * request (same fingerprint, caller and policy) gets the approval it already waits for.
 */
export async function holdForApproval(
  db: Kysely<Database>,
  request: ApprovalRequest,
  hold: { policyId: string; projectedValue: number; approvalId: string; at: number },
): Promise<string> {
  const pending = await findPendingApproval(db, { requestHash: request.requestHash, policyId: hold.policyId, callerId: request.callerId });
  if (pending !== undefined) return pending.approval_id;
  await insertApproval(db, {
    approval_id: hold.approvalId,
    policy_id: hold.policyId,
    state: "pending",
    caller_id: request.callerId,
    agent_id: request.agentId || null,
    session_id: request.sessionId || null,
    user_id: request.userId || null,
    model_id: request.modelId,
    projected_value: hold.projectedValue,
    request_hash: request.requestHash,
    created_at: hold.at,
    decided_at: null,
    reason: null,
  });
  return hold.approvalId;
}

/** Approves or denies a pending approval. Decided approvals stay as they are. */
export async function decideApproval(db: Kysely<Database>, decision: { approvalId: string; approve: boolean; reason: string; at: number }): Promise<Approval> {
  const { approvalId } = decision;
  const moved = await transitionApproval(db, approvalId, "pending", {
    state: decision.approve ? "approved" : "denied",
    decidedAt: decision.at,
    ...(decision.reason !== "" && { reason: decision.reason }),
  });
  const row = await findApproval(db, approvalId);
  if (row === undefined) throw new GatewayError("not_found", `no approval with id "${approvalId}"`, { param: "approval_id", code: "approval_not_found" });
  if (!moved) {
    throw new GatewayError("invalid_request", `approval "${approvalId}" is already ${row.state}; only pending approvals can be decided`, {
      param: "approval_id",
      code: "approval_already_decided",
    });
  }
  return approvalFromRow(row);
}

/** Approvals, newest first. */
export async function listApprovals(db: Kysely<Database>, options: { pendingOnly: boolean }): Promise<Approval[]> {
  return (await listApprovalRows(db, { pendingOnly: options.pendingOnly, limit: approvalsListLimit })).map(approvalFromRow);
}

function approvalFromRow(row: BudgetApprovalRow): Approval {
  return {
    approvalId: row.approval_id,
    policyId: row.policy_id,
    state: row.state,
    callerId: row.caller_id,
    agentId: row.agent_id ?? undefined,
    sessionId: row.session_id ?? undefined,
    userId: row.user_id ?? undefined,
    modelId: row.model_id,
    projectedValue: Number(row.projected_value),
    requestHash: row.request_hash,
    createdAt: Number(row.created_at),
    decidedAt: row.decided_at === null ? undefined : Number(row.decided_at),
    reason: row.reason ?? undefined,
  };
}
