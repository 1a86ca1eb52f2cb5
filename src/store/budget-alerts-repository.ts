import type { Kysely } from "kysely";
import { compiledStatement } from "./compiled-statement.js";
import type { BudgetAlertRow, Database } from "./tables.js";

// Part of a settlement's transaction when a charge crosses a limit: compiled once, see compiled-statement.ts.
const insertOnceStatement = compiledStatement((db, row: BudgetAlertRow) =>
  db
    .insertInto("budget_alerts")
    .values(row)
    .onConflict((conflict) => conflict.columns(["policy_id", "interval_start"]).doNothing()),
);

/** Records an alert unless the policy already has one for the interval; true when this one was new. */
export async function insertAlertOnce(db: Kysely<Database>, row: BudgetAlertRow): Promise<boolean> {
  const result = await insertOnceStatement.execute(db, row);
  return Number(result.numAffectedRows ?? 0) > 0;
}

/** Alerts, newest first, at most `limit`; one policy's when policyId is given. */
export async function listAlertRows(db: Kysely<Database>, options: { policyId?: string | undefined; limit: number }): Promise<BudgetAlertRow[]> {
  let query = db.selectFrom("budget_alerts").selectAll();
  if (options.policyId) query = query.where("policy_id", "=", options.policyId);
  return query.orderBy("created_at", "desc").orderBy("alert_id").limit(options.limit).execute();
}
