import type { Kysely } from "kysely";
import { compiledStatement } from "./compiled-statement.js";
import type { Database, NewRunRow, RunRow, RunRowUpdate, RunStatus } from "./tables.js";

// Every run writes its start and its end: compiled once (per set of columns), see compiled-statement.ts.
const insertStatement = compiledStatement((db, row: NewRunRow) => db.insertInto("runs").values(row));
const updateStatement = compiledStatement((db, update: { runId: string; patch: RunRowUpdate }) =>
  db.updateTable("runs").set(update.patch).where("run_id", "=", update.runId),
);

const heartbeatStatement = compiledStatement((db, beat: { runId: string; at: number; inputTokens: number; outputTokens: number }) =>
  db
    .updateTable("runs")
    .set({ heartbeat_at: beat.at, input_tokens: beat.inputTokens, output_tokens: beat.outputTokens, usage_estimated: 1 })
    .where("run_id", "=", beat.runId)
    .where("status", "=", "running"),
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

/** Runs recorded as running: at start-up, those a previous daemon left unfinished. */
export async function listRunningRuns(db: Kysely<Database>): Promise<RunRow[]> {
  return db.selectFrom("runs").selectAll().where("status", "=", "running").execute();
}

/**
 * The heartbeat of runs in flight: when each last made progress and what it has used so far
 * (estimated), written only while the run is still running, so a late beat never overwrites its end.
 */
export async function writeRunHeartbeats(
  db: Kysely<Database>,
  beats: readonly { runId: string; at: number; inputTokens: number; outputTokens: number }[],
): Promise<void> {
  if (beats.length === 0) return;
  await db.transaction().execute(async (trx) => {
    for (const beat of beats) {
      await heartbeatStatement.execute(trx, beat);
    }
  });
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

/**
 * The agents with the most runs since `since` (ms), busiest first, ties by id; at most `limit`.
 * Read once at start-up (the metrics' agent labels), over the created_at index.
 */
export async function busiestAgents(db: Kysely<Database>, since: number, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom("runs")
    .select((eb) => ["agent_id", eb.fn.countAll<number>().as("runs")])
    .where("created_at", ">=", since)
    .where("agent_id", "is not", null)
    .groupBy("agent_id")
    .orderBy("runs", "desc")
    .orderBy("agent_id")
    .limit(limit)
    .execute();
  return rows.flatMap((row) => (row.agent_id === null ? [] : [row.agent_id]));
}
