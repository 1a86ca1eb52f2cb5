import type { Kysely } from "kysely";
import { compiledStatement } from "./compiled-statement.js";
import type { Database, NewRunRow, RunRow, RunRowUpdate, RunStatus } from "./tables.js";

// Every run writes its start and its end: compiled once (per set of columns), see compiled-statement.ts.
const insertStatement = compiledStatement((db, row: NewRunRow) => db.insertInto("runs").values(row));
const updateStatement = compiledStatement((db, update: { runId: string; patch: RunRowUpdate }) =>
  db.updateTable("runs").set(update.patch).where("run_id", "=", update.runId),
);

export async function insertRun(db: Kysely<Database>, row: NewRunRow): Promise<void> {
  await insertStatement.execute(db, row);
}

export async function updateRun(db: Kysely<Database>, runId: string, patch: RunRowUpdate): Promise<void> {
  await updateStatement.execute(db, { runId, patch });
}

export async function findRun(db: Kysely<Database>, runId: string): Promise<RunRow | undefined> {
  return db.selectFrom("runs").selectAll().where("run_id", "=", runId).executeTakeFirst();
}

/**
 * Closes out runs a previous daemon left running (it was killed mid-run): they become failed with
 * error kind "interrupted", so no admitted run stays open forever. Returns how many were closed.
 */
export async function closeInterruptedRuns(db: Kysely<Database>, now: number): Promise<number> {
  const result = await db
    .updateTable("runs")
    .set({
      status: "failed",
      finished_at: now,
      error_kind: "interrupted",
      error_message: "the daemon stopped before the run finished",
    })
    .where("status", "=", "running")
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function countRunsByStatus(db: Kysely<Database>): Promise<Record<RunStatus, number>> {
  const rows = await db
    .selectFrom("runs")
    .select(["status", (eb) => eb.fn.countAll<number>().as("count")])
    .groupBy("status")
    .execute();
  const counts: Record<RunStatus, number> = { running: 0, succeeded: 0, failed: 0, cancelled: 0 };
  for (const row of rows) counts[row.status] = Number(row.count);
  return counts;
}
