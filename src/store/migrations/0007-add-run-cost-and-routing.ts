import type { Kysely } from "kysely";

// Released migrations never change; add a new file instead.
// The runs table is the usage ledger: every run's tokens, cost and attribution, and how it was routed.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("runs")
    .addColumn("cost_usd", "double precision", (column) => column.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable("runs")
    .addColumn("cost_estimated", "integer", (column) => column.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable("runs").addColumn("routing_mode", "varchar(16)").execute();
  await db.schema.alterTable("runs").addColumn("recommended_model", "varchar(256)").execute();
  await db.schema.alterTable("runs").addColumn("complexity", "double precision").execute();
  await db.schema.alterTable("runs").addColumn("dry_run_change", "text").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const column of ["cost_usd", "cost_estimated", "routing_mode", "recommended_model", "complexity", "dry_run_change"]) {
    await db.schema.alterTable("runs").dropColumn(column).execute();
  }
}
