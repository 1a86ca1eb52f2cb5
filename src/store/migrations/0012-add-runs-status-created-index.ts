import type { Kysely } from "kysely";

// Released migrations never change; add a new file instead.
// The newest runs of one status (the last failed runs diagnostics show) in one index range, however
// long the history: with the status index alone, the rows of a status would be sorted first.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex("runs_status_created_idx").on("runs").columns(["status", "created_at"]).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("runs_status_created_idx").execute();
}
