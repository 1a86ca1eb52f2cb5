import type { Kysely } from "kysely";

// Released migrations never change; add a new file instead.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("runs")
    .addColumn("run_kind", "varchar(32)", (column) => column.notNull().defaultTo("chat"))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("runs").dropColumn("run_kind").execute();
}
