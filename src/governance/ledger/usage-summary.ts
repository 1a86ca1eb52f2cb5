import { TZDate } from "@date-fns/tz";
import type { Kysely } from "kysely";
import { intervalAt } from "../../shared/budget-interval.js";
import { invalidRequest } from "../../shared/errors.js";
import type { Database } from "../../store/tables.js";
import { quarterHourMs, summarizeRuns, type UsageGroupKey, type UsageGroupRow } from "../../store/usage-summary-repository.js";

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
  /** Days and hours oldest first; other groupings by cost, then runs, then key. */
  rows: UsageGroupRow[];
  total: UsageGroupRow;
}

export const defaultSummaryWindowMs = 7 * 86_400_000;

/** The widest window grouped by hour: a week, so at most 7 * 24 + 1 rows (a window not starting on the hour). */
export const maxHourlyWindowMs = 7 * 86_400_000;

/**
 * Where usage went over a window: the ledger's runs summed per model, provider, agent, API key or
 * day. Days are calendar days in `timeZone` (usage.timezone), the days daily budgets count.
 */
export async function summarizeUsage(db: Kysely<Database>, query: UsageSummaryQuery, now: number = Date.now(), timeZone = "UTC"): Promise<UsageSummary> {
  const until = query.until ?? now;
  const since = query.since ?? until - defaultSummaryWindowMs;
  if (since >= until) throw invalidRequest("since", "must be before until");
  if (query.groupBy === "hour" && until - since > maxHourlyWindowMs) throw invalidRequest("since", "grouping by hour covers at most 7 days");
  let rows: UsageGroupRow[];
  if (query.groupBy === "day" || query.groupBy === "hour") {
    const quarters = await summarizeRuns(db, { since, until, groupBy: "quarter_hour" });
    const fold = query.groupBy === "day" ? foldIntoDays : foldIntoHours;
    rows = fold(quarters, timeZone).sort((a, b) => a.key.localeCompare(b.key));
  } else {
    rows = await summarizeRuns(db, { since, until, groupBy: query.groupBy });
    rows.sort((a, b) => b.costUsd - a.costUsd || b.runs - a.runs || a.key.localeCompare(b.key));
  }
  return { since, until, groupBy: query.groupBy, rows, total: sumRows("total", rows) };
}

/** Quarter-hour rows summed into calendar days of a time zone, keyed "YYYY-MM-DD". */
function foldIntoDays(quarters: readonly UsageGroupRow[], timeZone: string): UsageGroupRow[] {
  const days = new Map<string, UsageGroupRow[]>();
  let day: { start: number; end: number; key: string } | undefined;
  for (const quarter of [...quarters].sort((a, b) => Number(a.key) - Number(b.key))) {
    const at = Number(quarter.key) * quarterHourMs;
    if (day === undefined || at < day.start || at >= day.end) {
      const interval = intervalAt("daily", at, timeZone);
      const local = new TZDate(interval.start, timeZone);
      day = { ...interval, key: `${local.getFullYear()}-${pad(local.getMonth() + 1)}-${pad(local.getDate())}` };
    }
    const rows = days.get(day.key) ?? [];
    rows.push(quarter);
    days.set(day.key, rows);
  }
  return [...days].map(([key, rows]) => sumRows(key, rows));
}

/**
 * Quarter-hour rows summed into the hours of a time zone, keyed by the hour's start as an ISO UTC instant
 * (which sorts as text). A zone whose offset is not whole hours starts its hours at :30 or :45 UTC.
 */
function foldIntoHours(quarters: readonly UsageGroupRow[], timeZone: string): UsageGroupRow[] {
  const hours = new Map<string, UsageGroupRow[]>();
  for (const quarter of quarters) {
    const local = new TZDate(Number(quarter.key) * quarterHourMs, timeZone);
    local.setMinutes(0, 0, 0);
    const key = new Date(local.getTime()).toISOString();
    const rows = hours.get(key) ?? [];
    rows.push(quarter);
    hours.set(key, rows);
  }
  return [...hours].map(([key, rows]) => sumRows(key, rows));
}

const pad = (value: number) => String(value).padStart(2, "0");

function sumRows(key: string, rows: readonly UsageGroupRow[]): UsageGroupRow {
  const total: UsageGroupRow = {
    key,
    runs: 0,
    errors: 0,
    inputTokens: 0,
    outputTokens: 0,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    costUsd: 0,
    estimatedRuns: 0,
  };
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
