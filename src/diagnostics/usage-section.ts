import { type BudgetAdministration, type BudgetAlert, type BudgetStanding, budgetAlertFromRow } from "../governance/budgets/budget-administration.js";
import type { Approval } from "../governance/budgets/budget-approvals.js";
import { intervalAt } from "../shared/budget-interval.js";
import type { BudgetPolicy } from "../shared/budget-policy.js";
import { listAlertRows } from "../store/budget-alerts-repository.js";
import type { Store } from "../store/open-store.js";
import { costOfRunsBetween } from "../store/run-diagnostics-repository.js";

/** How many alerts and pending approvals the snapshot lists; approvals are counted up to approvalCountCap. */
export const recentAlertCount = 10;
export const listedApprovalCount = 20;
export const approvalCountCap = 1000;

export interface UsageSection {
  spendTodayUsd: number;
  spendMonthUsd: number;
  timezone: string;
  budgetsAtSoftLimit: (BudgetPolicy & { standing: BudgetStanding })[];
  recentAlerts: BudgetAlert[];
  pendingApprovals: Approval[];
  pendingApprovalCount: number;
}

export interface UsageSources {
  store: Store;
  budgets: BudgetAdministration;
  timeZone: string;
  now: number;
}

/** Spend today and this month (calendar days and months of usage.timezone), budgets at their soft limit, alerts, approvals. */
export async function usageSection(sources: UsageSources): Promise<UsageSection> {
  const { store, budgets, timeZone, now } = sources;
  const today = intervalAt("daily", now, timeZone);
  const month = intervalAt("monthly", now, timeZone);
  const [spendTodayUsd, spendMonthUsd, policies, alertRows, pending] = await Promise.all([
    costOfRunsBetween(store.db, today.start, now + 1),
    costOfRunsBetween(store.db, month.start, now + 1),
    budgets.listPolicies(),
    listAlertRows(store.db, { limit: recentAlertCount }),
    budgets.listApprovals({ pendingOnly: true }),
  ]);
  return {
    spendTodayUsd,
    spendMonthUsd,
    timezone: timeZone,
    budgetsAtSoftLimit: policies.filter(atSoftLimit),
    recentAlerts: alertRows.map(budgetAlertFromRow),
    pendingApprovals: pending.slice(0, listedApprovalCount),
    pendingApprovalCount: Math.min(pending.length, approvalCountCap),
  };
}

/** An enabled policy whose consumption reached its soft limit, or its hard limit when it has no soft one. */
function atSoftLimit(policy: BudgetPolicy & { standing: BudgetStanding }): boolean {
  const limit = policy.softLimit > 0 ? policy.softLimit : policy.hardLimit;
  return policy.enabled && limit > 0 && policy.standing.consumed >= limit;
}
