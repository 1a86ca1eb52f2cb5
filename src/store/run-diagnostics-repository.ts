import type { Kysely } from "kysely";
import type { Database } from "./tables.js";

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
