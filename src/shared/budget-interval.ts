import { TZDate } from "@date-fns/tz";
import type { BudgetIntervalKind } from "./budget-policy.js";

/** A calendar interval: [start, end) in milliseconds since the epoch. */
export interface BudgetInterval {
  start: number;
  end: number;
}

/**
 * The daily, weekly (from Monday) or monthly interval that holds `at`, aligned to local midnight in
 * the IANA time zone. @date-fns/tz does the wall-clock arithmetic, so days around DST changes are
 * 23 or 25 hours long, a midnight that does not exist starts the day at the first instant that does,
 * and a midnight that happens twice starts it at the first. The start is a stable key for counters.
 */
export function intervalAt(kind: BudgetIntervalKind, at: number, timeZone: string): BudgetInterval {
  const local = new TZDate(at, timeZone);
  const year = local.getFullYear();
  const month = local.getMonth();
  const day = local.getDate();
  const startOf = (y: number, m: number, d: number) => new TZDate(y, m, d, timeZone).getTime();
  if (kind === "daily") return { start: startOf(year, month, day), end: startOf(year, month, day + 1) };
  if (kind === "weekly") {
    const sinceMonday = (local.getDay() + 6) % 7;
    return { start: startOf(year, month, day - sinceMonday), end: startOf(year, month, day - sinceMonday + 7) };
  }
  return { start: startOf(year, month, 1), end: startOf(year, month + 1, 1) };
}

/** True when `zone` is an IANA time zone name this Node.js knows. */
export function isTimeZone(zone: string): boolean {
  if (zone === "") return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
