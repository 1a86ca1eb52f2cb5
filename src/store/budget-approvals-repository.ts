import type { Kysely } from "kysely";
import type { ApprovalState, BudgetApprovalRow, Database } from "./tables.js";

export async function insertApproval(db: Kysely<Database>, row: BudgetApprovalRow): Promise<void> {
  await db.insertInto("budget_approvals").values(row).execute();
}

export async function findApproval(db: Kysely<Database>, approvalId: string): Promise<BudgetApprovalRow | undefined> {
  return db.selectFrom("budget_approvals").selectAll().where("approval_id", "=", approvalId).executeTakeFirst();
}

/** The pending approval already asked for this request by this caller, if any. */
export async function findPendingApproval(
  db: Kysely<Database>,
  match: { requestHash: string; policyId: string; callerId: string },
): Promise<BudgetApprovalRow | undefined> {
  return db
    .selectFrom("budget_approvals")
    .selectAll()
    .where("request_hash", "=", match.requestHash)
    .where("state", "=", "pending")
    .where("policy_id", "=", match.policyId)
    .where("caller_id", "=", match.callerId)
    .executeTakeFirst();
}

/** Approvals, newest first, at most `limit`. */
export async function listApprovalRows(db: Kysely<Database>, options: { pendingOnly: boolean; limit: number }): Promise<BudgetApprovalRow[]> {
  let query = db.selectFrom("budget_approvals").selectAll();
  if (options.pendingOnly) query = query.where("state", "=", "pending");
  return query.orderBy("created_at", "desc").orderBy("approval_id").limit(options.limit).execute();
}

/**
 * Moves an approval from one state to another, only if it is still in `from`: a single-use
 * approval is consumed by one request however many present it at once. True when it moved.
 */
export async function transitionApproval(
  db: Kysely<Database>,
  approvalId: string,
  from: ApprovalState,
  to: { state: ApprovalState; decidedAt?: number; reason?: string },
): Promise<boolean> {
  const result = await db
    .updateTable("budget_approvals")
    .set({
      state: to.state,
      ...(to.decidedAt !== undefined && { decided_at: to.decidedAt }),
      ...(to.reason !== undefined && { reason: to.reason }),
    })
    .where("approval_id", "=", approvalId)
    .where("state", "=", from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
