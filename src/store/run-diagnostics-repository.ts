import { type Kysely, sql } from "kysely";
import type { Database, RunStatus } from "./tables.js";

// The runs diagnostics read. Each is one index range with a limit, so a snapshot costs the same
// over ten runs or a million.

export interface FailedRunRow {
  run_id: string;
  created_at: number;
  model_id: string;
  provider_id: string;
  error_kind: string | null;
  error_message: string | null;
}

/** The newest failed runs, at most `limit` (runs_status_created_idx). */
export async function latestFailedRuns(db: Kysely<Database>, limit: number): Promise<FailedRunRow[]> {
  return db
    .selectFrom("runs")
    .select(["run_id", "created_at", "model_id", "provider_id", "error_kind", "error_message"])
    .where("status", "=", "failed")
    .orderBy("created_at", "desc")
    .limit(limit)
    .execute();
}

export interface RunTimingRow {
  provider_id: string;
  duration_ms: number | null;
  first_output_ms: number | null;
}

/** How long the newest succeeded runs took, at most `limit` (runs_status_created_idx). */
export async function latestRunTimings(db: Kysely<Database>, limit: number): Promise<RunTimingRow[]> {
  return db
    .selectFrom("runs")
    .select(["provider_id", "duration_ms", "first_output_ms"])
    .where("status", "=", "succeeded")
    .orderBy("created_at", "desc")
    .limit(limit)
    .execute();
}

/**
 * USD of the runs started in [since, until): one range of the created_at index, so the work grows
 * with the window's runs, not with the whole history.
 */
export async function costOfRunsBetween(db: Kysely<Database>, since: number, until: number): Promise<number> {
  const row = await db
    .selectFrom("runs")
    .select((eb) => eb.fn.sum<number | string | null>("cost_usd").as("cost"))
    .where("created_at", ">=", since)
    .where("created_at", "<", until)
    .executeTakeFirst();
  return Number(row?.cost ?? 0);
}

/**
 * How many runs the ledger holds, without counting them: runs are never deleted, so on SQLite the
 * largest rowid is the count (one index lookup). Another dialect would read its table statistics.
 */
export async function runLedgerSize(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ size: number | null }>`select max(rowid) as size from runs`.execute(db);
  return Number(rows[0]?.size ?? 0);
}

/**
 * Runs started at or after `since`, by status: one aggregate over a range of the created_at index.
 * Sums per status rather than GROUP BY status, which would lead SQLite to scan the whole
 * (status, created_at) index instead.
 */
export async function countRunsSince(db: Kysely<Database>, since: number): Promise<Record<RunStatus, number>> {
  const countOf = (status: RunStatus) => sql<number | string | null>`sum(case when status = ${status} then 1 else 0 end)`;
  const row = await db
    .selectFrom("runs")
    .select([countOf("running").as("running"), countOf("succeeded").as("succeeded"), countOf("failed").as("failed"), countOf("cancelled").as("cancelled")])
    .where("created_at", ">=", since)
    .executeTakeFirst();
  // PostgreSQL returns sums as strings; no row matched gives nulls.
  return {
    running: Number(row?.running ?? 0),
    succeeded: Number(row?.succeeded ?? 0),
    failed: Number(row?.failed ?? 0),
    cancelled: Number(row?.cancelled ?? 0),
  };
}
