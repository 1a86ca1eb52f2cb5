import type { Kysely } from "kysely";
import { LRUCache } from "lru-cache";
import { alertThreshold, type BudgetPolicy, describePolicy } from "../../shared/budget-policy.js";
import type { Logger } from "../../shared/logger.js";
import { insertAlertOnce } from "../../store/budget-alerts-repository.js";
import type { Database } from "../../store/tables.js";
import { formatAmount } from "./budget-admission.js";

/** A policy's counter after a settlement charged it. */
export interface ChargedCounter {
  policy: BudgetPolicy;
  intervalStart: number;
  consumed: number;
}

/** A policy that reached its alert limit in an interval: written in the settlement's transaction, confirmed after it commits. */
export interface Crossing extends ChargedCounter {
  threshold: number;
  /** False when another settlement already recorded this interval's alert. */
  inserted: boolean;
}

/**
 * One alert per policy and interval when consumption reaches the soft limit (or, without one, the
 * hard limit of an alert_only policy): recorded with the charge that crossed it, then logged.
 */
export class SoftLimitAlerts {
  /** Policies and intervals already alerted, so later settlements past the limit skip the insert. */
  private readonly alerted = new LRUCache<string, true>({ max: 4096 });

  constructor(private readonly deps: { logger: Logger; newId: () => string }) {}

  /** Within the settlement's transaction: records the alerts the charged counters call for. */
  async record(db: Kysely<Database>, charged: readonly ChargedCounter[], at: number): Promise<Crossing[]> {
    const crossings: Crossing[] = [];
    for (const counter of charged) {
      const { policy, consumed, intervalStart } = counter;
      const threshold = alertThreshold(policy);
      if (threshold === 0 || consumed < threshold || this.alerted.has(keyOf(policy, intervalStart))) continue;
      const message = `${describePolicy(policy)} used ${formatAmount(policy.metricKind, consumed)} of its ${policy.softLimit > 0 ? "soft" : "hard"} limit ${formatAmount(policy.metricKind, threshold)}`;
      const inserted = await insertAlertOnce(db, {
        alert_id: this.deps.newId(),
        policy_id: policy.policyId,
        interval_start: intervalStart,
        created_at: at,
        consumed,
        soft_limit_value: threshold,
        message,
      });
      crossings.push({ ...counter, threshold, inserted });
    }
    return crossings;
  }

  /** After the transaction committed: remembers the intervals alerted, and logs the new alerts. */
  confirm(crossings: readonly Crossing[]): void {
    for (const crossing of crossings) {
      this.alerted.set(keyOf(crossing.policy, crossing.intervalStart), true);
      if (!crossing.inserted) continue;
      this.deps.logger.warn(
        {
          policyId: crossing.policy.policyId,
          consumed: crossing.consumed,
          limit: crossing.threshold,
          intervalStart: new Date(crossing.intervalStart).toISOString(),
        },
        `${describePolicy(crossing.policy)} crossed its alert limit`,
      );
    }
  }
}

function keyOf(policy: BudgetPolicy, intervalStart: number): string {
  return `${policy.policyId}\u0000${intervalStart}`;
}
