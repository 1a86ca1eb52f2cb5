import { type Kysely, sql } from "kysely";

// Released migrations never change; add a new file instead.
// Budgets: runtime policies, per-interval rollup counters (so admission never scans the runs
// ledger), approvals for require_approval policies, and one soft-limit alert per policy and interval.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("budget_policies")
    .addColumn("policy_id", "varchar(128)", (column) => column.primaryKey())
    .addColumn("scope_kind", "varchar(16)", (column) => column.notNull())
    .addColumn("scope_id", "varchar(256)", (column) => column.notNull().defaultTo(""))
    .addColumn("metric_kind", "varchar(16)", (column) => column.notNull())
    .addColumn("interval_kind", "varchar(16)", (column) => column.notNull())
    // 0 means no limit.
    .addColumn("soft_limit_value", "double precision", (column) => column.notNull().defaultTo(0))
    .addColumn("hard_limit_value", "double precision", (column) => column.notNull().defaultTo(0))
    .addColumn("action", "varchar(24)", (column) => column.notNull())
    .addColumn("enabled", "integer", (column) => column.notNull().defaultTo(1))
    .addColumn("created_at", "bigint", (column) => column.notNull())
    .addColumn("updated_at", "bigint", (column) => column.notNull())
    .execute();

  await db.schema
    .createTable("budget_counters")
    .addColumn("policy_id", "varchar(128)", (column) => column.notNull())
    // Milliseconds since the epoch: the calendar interval in the configured time zone.
    .addColumn("interval_start", "bigint", (column) => column.notNull())
    .addColumn("interval_end", "bigint", (column) => column.notNull())
    // Tokens or USD, by the policy's metric.
    .addColumn("consumed", "double precision", (column) => column.notNull().defaultTo(0))
    .addColumn("reserved", "double precision", (column) => column.notNull().defaultTo(0))
    .addPrimaryKeyConstraint("budget_counters_pk", ["policy_id", "interval_start"])
    .execute();

  await db.schema
    .createTable("budget_approvals")
    .addColumn("approval_id", "varchar(64)", (column) => column.primaryKey())
    .addColumn("policy_id", "varchar(128)", (column) => column.notNull())
    // pending | approved | denied | consumed
    .addColumn("state", "varchar(16)", (column) => column.notNull())
    .addColumn("caller_id", "varchar(128)", (column) => column.notNull())
    .addColumn("agent_id", "varchar(256)")
    .addColumn("session_id", "varchar(256)")
    .addColumn("user_id", "varchar(256)")
    .addColumn("model_id", "varchar(256)", (column) => column.notNull())
    .addColumn("projected_value", "double precision", (column) => column.notNull())
    .addColumn("request_hash", "varchar(128)", (column) => column.notNull())
    .addColumn("created_at", "bigint", (column) => column.notNull())
    .addColumn("decided_at", "bigint")
    .addColumn("reason", sql`text`)
    .execute();
  // A retried request finds its pending approval instead of asking again.
  await db.schema.createIndex("budget_approvals_request_idx").on("budget_approvals").columns(["request_hash", "state"]).execute();
  await db.schema.createIndex("budget_approvals_created_idx").on("budget_approvals").column("created_at").execute();

  await db.schema
    .createTable("budget_alerts")
    .addColumn("alert_id", "varchar(64)", (column) => column.primaryKey())
    .addColumn("policy_id", "varchar(128)", (column) => column.notNull())
    .addColumn("interval_start", "bigint", (column) => column.notNull())
    .addColumn("created_at", "bigint", (column) => column.notNull())
    .addColumn("consumed", "double precision", (column) => column.notNull())
    .addColumn("soft_limit_value", "double precision", (column) => column.notNull())
    .addColumn("message", sql`text`, (column) => column.notNull())
    // One alert per policy and interval, however many runs cross the limit at once.
    .addUniqueConstraint("budget_alerts_interval_unique", ["policy_id", "interval_start"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ["budget_alerts", "budget_approvals", "budget_counters", "budget_policies"]) {
    await db.schema.dropTable(table).execute();
  }
}
