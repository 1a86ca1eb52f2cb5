import { type Expression, type Kysely, sql } from "kysely";
import type { Database } from "./tables.js";

/** What usage is grouped by; "day" and "hour" are the day and hour a run started in, in usage.timezone. */
export type UsageGroupKey = "model" | "provider" | "agent" | "api_key" | "day" | "hour";

/**
 * What the ledger is summed by. Days are local to a time zone, which SQL cannot work out portably, so
 * the ledger sums quarter hours (every zone's offset from UTC is a whole number of them) and the
 * caller folds those into days or hours.
 */
export type LedgerGrouping = Exclude<UsageGroupKey, "day" | "hour"> | "quarter_hour";

export const quarterHourMs = 900_000;

/** One group's figures, straight from the ledger. */
export interface UsageGroupRow {
  /** The group's value ("" when the run had none, e.g. no agent); for "quarter_hour", the quarter hours since the epoch. */
  key: string;
  runs: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
  estimatedRuns: number;
}

/** The column (or expression) each grouping uses; portable to PostgreSQL, where bigint / integer divides whole. */
function groupExpression(groupBy: LedgerGrouping): Expression<unknown> {
  switch (groupBy) {
    case "model":
      return sql.ref("model_id");
    case "provider":
      return sql.ref("provider_id");
    case "agent":
      return sql`coalesce(agent_id, '')`;
    case "api_key":
      return sql.ref("caller_id");
    case "quarter_hour":
      // created_at is a whole number of ms, so integer division floors to the quarter hour (for dates after 1970).
      return sql`created_at / ${sql.lit(quarterHourMs)}`;
  }
}

/**
 * Sums the ledger's runs that started in [since, until) by one grouping, in one GROUP BY over the
 * created_at index: the work grows with the window's runs, not with the whole history.
 */
export async function summarizeRuns(db: Kysely<Database>, window: { since: number; until: number; groupBy: LedgerGrouping }): Promise<UsageGroupRow[]> {
  const key = groupExpression(window.groupBy);
  const rows = await db
    .selectFrom("runs")
    .where("created_at", ">=", window.since)
    .where("created_at", "<", window.until)
    .select([
      sql<string | number>`${key}`.as("group_key"),
      (eb) => eb.fn.countAll<number | string>().as("runs"),
      sql<number | string>`sum(case when status = 'failed' then 1 else 0 end)`.as("errors"),
      (eb) => eb.fn.sum<number | string>("input_tokens").as("input_tokens"),
      (eb) => eb.fn.sum<number | string>("output_tokens").as("output_tokens"),
      (eb) => eb.fn.sum<number | string>("cached_input_tokens").as("cached_input_tokens"),
      (eb) => eb.fn.sum<number | string>("cache_write_tokens").as("cache_write_tokens"),
      (eb) => eb.fn.sum<number | string>("cost_usd").as("cost_usd"),
      sql<number | string>`sum(case when usage_estimated = 1 or cost_estimated = 1 then 1 else 0 end)`.as("estimated_runs"),
    ])
    .groupBy(key)
    .execute();
  // PostgreSQL returns counts and bigint sums as strings.
  return rows.map((row) => ({
    key: String(row.group_key),
    runs: Number(row.runs),
    errors: Number(row.errors),
    inputTokens: Number(row.input_tokens),
    outputTokens: Number(row.output_tokens),
    cachedInputTokens: Number(row.cached_input_tokens),
    cacheWriteTokens: Number(row.cache_write_tokens),
    costUsd: Number(row.cost_usd),
    estimatedRuns: Number(row.estimated_runs),
  }));
}
