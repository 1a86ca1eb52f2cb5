import { type BudgetInterval, intervalAt } from "../../shared/budget-interval.js";
import type { BudgetIntervalKind } from "../../shared/budget-policy.js";

/**
 * The current interval of each kind, computed once per interval: admission asks on every request,
 * and the wall-clock arithmetic in a time zone is the costliest part of the answer.
 */
export class IntervalClock {
  private readonly current = new Map<BudgetIntervalKind, BudgetInterval>();

  constructor(readonly timeZone: string) {}

  at(kind: BudgetIntervalKind, at: number): BudgetInterval {
    const cached = this.current.get(kind);
    if (cached !== undefined && cached.start <= at && at < cached.end) return cached;
    const interval = intervalAt(kind, at, this.timeZone);
    this.current.set(kind, interval);
    return interval;
  }
}
