import type { Kysely } from "kysely";
import type { BudgetInterval } from "../../shared/budget-interval.js";
import { type BudgetPolicy, policyProblems } from "../../shared/budget-policy.js";
import { GatewayError, invalidRequest } from "../../shared/errors.js";
import { listAlertRows } from "../../store/budget-alerts-repository.js";
import { findCounter } from "../../store/budget-counters-repository.js";
import type { BudgetAlertRow, Database } from "../../store/tables.js";
import { remainingOf } from "./budget-admission.js";
import { type Approval, decideApproval, listApprovals } from "./budget-approvals.js";
import type { BudgetPolicies } from "./budget-policies.js";
import { IntervalClock } from "./interval-clock.js";

/** A policy's current interval and figures. */
export interface BudgetStanding {
  interval: BudgetInterval;
  consumed: number;
  reserved: number;
  /** hard − consumed − reserved (negative when over); Infinity without a hard limit. */
  remaining: number;
}

export interface BudgetAlert {
  alertId: string;
  policyId: string;
  intervalStart: number;
  createdAt: number;
  consumed: number;
  /** The limit that was crossed (the soft limit, or an alert_only policy's hard limit). */
  limit: number;
  message: string;
}

// ListAlerts has no paging; the newest this many are listed.
export const alertsListLimit = 1000;

/** What operators do with budgets (UsageService): policies and their standing, approvals, alerts. */
const maxDecisionReasonLength = 1024;

export class BudgetAdministration {
  private readonly now: () => number;
  private readonly clock: IntervalClock;

  constructor(
    private readonly deps: {
      db: Kysely<Database>;
      policies: BudgetPolicies;
      timeZone: string;
      /** Whether a client key id was issued: an api_key policy for an unknown key would never apply. */
      apiKeyExists?: ((keyId: string) => Promise<boolean>) | undefined;
      now?: () => number;
    },
  ) {
    this.now = deps.now ?? Date.now;
    this.clock = new IntervalClock(deps.timeZone);
  }

  /** Validates and stores a runtime policy; it may override a config policy of the same id. */
  async setPolicy(policy: BudgetPolicy): Promise<BudgetPolicy & { standing: BudgetStanding }> {
    const problem = policyProblems(policy)[0];
    if (problem !== undefined) throw invalidRequest(`policy.${problem.field}`, problem.message);
    if (policy.scopeKind === "api_key" && this.deps.apiKeyExists !== undefined && !(await this.deps.apiKeyExists(policy.scopeId))) {
      throw invalidRequest("policy.scope_id", `no API key with id "${policy.scopeId}" (palyra keys list shows them)`);
    }
    const stored = await this.deps.policies.set(policy);
    return { ...stored, standing: await this.standingOf(stored) };
  }

  /**
   * Deletes a runtime policy (a config policy it overrode applies again). Config policies live in
   * palyra.toml: deleting one that is not overridden is refused, naming where to change it.
   */
  async deletePolicy(policyId: string): Promise<boolean> {
    if (policyId === "") throw invalidRequest("policy_id", "required");
    const deleted = await this.deps.policies.delete(policyId);
    if (!deleted && this.deps.policies.isFromConfig(policyId)) {
      throw new GatewayError(
        "invalid_request",
        `budget "${policyId}" comes from the config file; remove it from [[usage.budgets]] there, or override it with enabled = false`,
        {
          param: "policy_id",
          code: "budget_policy_from_config",
        },
      );
    }
    return deleted;
  }

  /** Every policy in force, with its current interval's figures. */
  async listPolicies(): Promise<(BudgetPolicy & { standing: BudgetStanding })[]> {
    return Promise.all(this.deps.policies.list().map(async (policy) => ({ ...policy, standing: await this.standingOf(policy) })));
  }

  listApprovals(options: { pendingOnly: boolean }): Promise<Approval[]> {
    return listApprovals(this.deps.db, options);
  }

  async decideApproval(decision: { approvalId: string; approve: boolean; reason: string }): Promise<Approval> {
    if (decision.approvalId === "") throw invalidRequest("approval_id", "required");
    // The reason is stored with the approval and shown to whoever is refused: words, not a document.
    if (decision.reason.length > maxDecisionReasonLength) throw invalidRequest("reason", `must be at most ${maxDecisionReasonLength} characters`);
    return decideApproval(this.deps.db, { ...decision, at: this.now() });
  }

  /** Alerts, newest first; one policy's when policyId is not empty. */
  async listAlerts(policyId: string): Promise<BudgetAlert[]> {
    const rows = await listAlertRows(this.deps.db, { policyId: policyId || undefined, limit: alertsListLimit });
    return rows.map(budgetAlertFromRow);
  }

  private async standingOf(policy: BudgetPolicy): Promise<BudgetStanding> {
    const interval = this.clock.at(policy.intervalKind, this.now());
    const counter = await findCounter(this.deps.db, policy.policyId, interval.start);
    const consumed = Number(counter?.consumed ?? 0);
    const reserved = Number(counter?.reserved ?? 0);
    return { interval, consumed, reserved, remaining: remainingOf({ policy, consumed, reserved }) };
  }
}

/** An alert row as the domain type (ListAlerts, the diagnostics' recent alerts). */
export function budgetAlertFromRow(row: BudgetAlertRow): BudgetAlert {
  return {
    alertId: row.alert_id,
    policyId: row.policy_id,
    intervalStart: Number(row.interval_start),
    createdAt: Number(row.created_at),
    consumed: Number(row.consumed),
    limit: Number(row.soft_limit_value),
    message: row.message,
  };
}
