import type { Kysely } from "kysely";
import type { BudgetPolicyRow, Database } from "./tables.js";

/** Every runtime policy; a handful of rows, read whole at start and after each change. */
export async function listBudgetPolicyRows(db: Kysely<Database>): Promise<BudgetPolicyRow[]> {
  return db.selectFrom("budget_policies").selectAll().orderBy("policy_id").execute();
}

/** Stores a policy, replacing one with the same id (its created_at is kept). */
export async function upsertBudgetPolicyRow(db: Kysely<Database>, row: BudgetPolicyRow): Promise<void> {
  const { policy_id: _id, created_at: _created, ...changes } = row;
  await db
    .insertInto("budget_policies")
    .values(row)
    .onConflict((conflict) => conflict.column("policy_id").doUpdateSet(changes))
    .execute();
}

/** Deletes a runtime policy; true when there was one. */
export async function deleteBudgetPolicyRow(db: Kysely<Database>, policyId: string): Promise<boolean> {
  const result = await db.deleteFrom("budget_policies").where("policy_id", "=", policyId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
