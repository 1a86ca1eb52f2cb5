import type { BudgetConfig } from "../config/schema.js";

// The budget vocabulary; config/schema.ts validates palyra.toml against these lists.
export const budgetScopeKinds = ["global", "agent", "session", "user", "api_key"] as const;
export const budgetMetricKinds = ["tokens", "usd_cost"] as const;
export const budgetIntervalKinds = ["daily", "weekly", "monthly"] as const;
export const budgetActions = ["block", "require_approval", "alert_only"] as const;

export type BudgetScopeKind = (typeof budgetScopeKinds)[number];
export type BudgetMetricKind = (typeof budgetMetricKinds)[number];
export type BudgetIntervalKind = (typeof budgetIntervalKinds)[number];
export type BudgetAction = (typeof budgetActions)[number];

/** A limit on tokens or USD per calendar interval, for one scope. */
export interface BudgetPolicy {
  policyId: string;
  scopeKind: BudgetScopeKind;
  /** Empty for global policies. */
  scopeId: string;
  metricKind: BudgetMetricKind;
  intervalKind: BudgetIntervalKind;
  /** 0 means no soft limit. */
  softLimit: number;
  /** 0 means no hard limit. */
  hardLimit: number;
  action: BudgetAction;
  enabled: boolean;
  /** "config" ([[usage.budgets]]) or "runtime" (SetBudgetPolicy, kept in budget_policies). */
  source: "config" | "runtime";
}

export function policyFromConfig(config: BudgetConfig): BudgetPolicy {
  return {
    policyId: config.policy_id,
    scopeKind: config.scope_kind,
    scopeId: config.scope_id,
    metricKind: config.metric_kind,
    intervalKind: config.interval_kind,
    softLimit: config.soft_limit_value,
    hardLimit: config.hard_limit_value,
    action: config.action,
    enabled: config.enabled,
    source: "config",
  };
}

/** `budget "team-daily" (usd_cost, daily)`: how messages name a policy. */
export function describePolicy(policy: BudgetPolicy): string {
  return `budget "${policy.policyId}" (${policy.metricKind}, ${policy.intervalKind})`;
}

/**
 * What a policy counts: its scope, metric and interval. Counters belong to one measure; a policy
 * redefined to count something else starts from zero.
 */
export function measureOf(policy: BudgetPolicy): string {
  return `${policy.scopeKind}\u0000${policy.scopeId}\u0000${policy.metricKind}\u0000${policy.intervalKind}`;
}

/** The limit above which alerts fire: the soft limit, or for alert_only policies without one the hard limit. */
export function alertThreshold(policy: BudgetPolicy): number {
  if (policy.softLimit > 0) return policy.softLimit;
  return policy.action === "alert_only" ? policy.hardLimit : 0;
}

/** A rule a policy breaks: the field (snake_case, as in config and proto) and what is wrong. */
export interface PolicyProblem {
  field: string;
  message: string;
}

export const policyIdPattern = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

/** Rules that hold for config and runtime policies alike, beyond each field's own type. */
export function policyProblems(policy: BudgetPolicy): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  if (!policyIdPattern.test(policy.policyId)) {
    problems.push({ field: "policy_id", message: "must be 1-128 letters, digits or . _ : / - (starting with a letter or digit)" });
  }
  if (policy.scopeKind === "global" && policy.scopeId !== "") problems.push({ field: "scope_id", message: "must be empty for a global policy" });
  if (policy.scopeKind !== "global" && policy.scopeId === "") {
    problems.push({ field: "scope_id", message: `required for scope_kind "${policy.scopeKind}" (the ${scopeNoun(policy.scopeKind)} the policy limits)` });
  }
  if (policy.scopeId.length > 256) problems.push({ field: "scope_id", message: "must be at most 256 characters" });
  for (const [field, value] of [
    ["soft_limit_value", policy.softLimit],
    ["hard_limit_value", policy.hardLimit],
  ] as const) {
    if (!Number.isFinite(value) || value < 0) problems.push({ field, message: "must be a finite number ≥ 0 (0 means no limit)" });
  }
  if (policy.softLimit === 0 && policy.hardLimit === 0) problems.push({ field: "hard_limit_value", message: "set soft_limit_value, hard_limit_value or both" });
  if (policy.softLimit > 0 && policy.hardLimit > 0 && policy.softLimit > policy.hardLimit) {
    problems.push({ field: "soft_limit_value", message: `must not exceed hard_limit_value (${policy.hardLimit})` });
  }
  if (policy.action === "require_approval" && policy.hardLimit === 0) {
    problems.push({ field: "hard_limit_value", message: 'required for action "require_approval" (approval is asked when a request would exceed it)' });
  }
  return problems;
}

function scopeNoun(kind: BudgetScopeKind): string {
  return kind === "api_key" ? "API key id" : `${kind} id`;
}
