import type { Kysely } from "kysely";
import { invalidRequest } from "../../errors.js";
import type { Database } from "../../store/tables.js";
import { summarizeRuns, type UsageGroupKey, type UsageGroupRow } from "../../store/usage-summary-repository.js";

export type { UsageGroupKey, UsageGroupRow } from "../../store/usage-summary-repository.js";

export interface UsageSummaryQuery {
  /** Milliseconds since the epoch; default: 7 days before `until`. */
  since?: number | undefined;
  /** Milliseconds since the epoch (exclusive); default: now. */
  until?: number | undefined;
  groupBy: UsageGroupKey;
}

export interface UsageSummary {
  since: number;
  until: number;
  groupBy: UsageGroupKey;
  /** Days oldest first; other groupings by cost, then runs, then key. */
  rows: UsageGroupRow[];
  total: UsageGroupRow;
}

export const defaultSummaryWindowMs = 7 * 86_400_000;

/** Where usage went over a window: the ledger's runs summed per model, provider, agent, API key or UTC day. */
export async function summarizeUsage(db: Kysely<Database>, query: UsageSummaryQuery, now: number = Date.now()): Promise<UsageSummary> {
  const until = query.until ?? now;
  const since = query.since ?? until - defaultSummaryWindowMs;
  if (since >= until) throw invalidRequest("since", "must be before until");
  const rows = await summarizeRuns(db, { since, until, groupBy: query.groupBy });
  if (query.groupBy === "day") {
    rows.sort((a, b) => Number(a.key) - Number(b.key));
    for (const row of rows) row.key = new Date(Number(row.key) * 86_400_000).toISOString().slice(0, 10);
  } else {
    rows.sort((a, b) => b.costUsd - a.costUsd || b.runs - a.runs || a.key.localeCompare(b.key));
  }
  return { since, until, groupBy: query.groupBy, rows, total: totalOf(rows) };
}

function totalOf(rows: readonly UsageGroupRow[]): UsageGroupRow {
  const total: UsageGroupRow = { key: "total", runs: 0, errors: 0, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, costUsd: 0, estimatedRuns: 0 };
  for (const row of rows) {
    total.runs += row.runs;
    total.errors += row.errors;
    total.inputTokens += row.inputTokens;
    total.outputTokens += row.outputTokens;
    total.cachedInputTokens += row.cachedInputTokens;
    total.cacheWriteTokens += row.cacheWriteTokens;
    total.costUsd += row.costUsd;
    total.estimatedRuns += row.estimatedRuns;
  }
  return total;
}
