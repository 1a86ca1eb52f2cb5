import type { Kysely } from "kysely";
import { type BudgetPolicy, measureOf } from "../../shared/budget-policy.js";
import { deleteCounters } from "../../store/budget-counters-repository.js";
import { deleteBudgetPolicyRow, listBudgetPolicyRows, upsertBudgetPolicyRow } from "../../store/budget-policies-repository.js";
import type { BudgetPolicyRow, Database } from "../../store/tables.js";

/** Who a run is for: what scoped policies are matched against. */
export interface BudgetSubject {
  agentId?: string | undefined;
  sessionId?: string | undefined;
  userId?: string | undefined;
  /** The caller's key id, when the caller used a client API key. */
  apiKeyId?: string | undefined;
}

/**
 * The policies in force: [[usage.budgets]] from the config, and runtime ones from budget_policies.
 * A runtime policy may reuse a config policy's id: it overrides that policy (to change a limit or
 * disable it without a restart) until it is deleted, when the config policy applies again.
 * Held in memory and indexed by scope, so admission finds its policies without a query.
 */
export class BudgetPolicies {
  private config: ReadonlyMap<string, BudgetPolicy>;
  private runtime = new Map<string, BudgetPolicy>();
  private effective = new Map<string, BudgetPolicy>();
  private readonly global: BudgetPolicy[] = [];
  private readonly scoped = new Map<string, BudgetPolicy[]>();
  /** Writes run one at a time, so the table and the index never disagree. */
  private writes: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly db: Kysely<Database>,
    configPolicies: readonly BudgetPolicy[],
    private readonly now: () => number,
  ) {
    this.config = new Map(configPolicies.map((policy) => [policy.policyId, policy]));
  }

  /** The config's policies plus the runtime ones stored in the database. */
  static async load(db: Kysely<Database>, configPolicies: readonly BudgetPolicy[], now: () => number = Date.now): Promise<BudgetPolicies> {
    const policies = new BudgetPolicies(db, configPolicies, now);
    policies.runtime = new Map((await listBudgetPolicyRows(db)).map((row) => [row.policy_id, policyFromRow(row)]));
    policies.reindex();
    return policies;
  }

  /**
   * Swaps in the [[usage.budgets]] of a reloaded config, at once (runtime policies still override
   * them by id). A run admitted before keeps its reservations; one whose policy was redefined or
   * removed meanwhile is not charged to it at its end, as after SetBudget.
   */
  replaceConfigPolicies(configPolicies: readonly BudgetPolicy[]): void {
    this.config = new Map(configPolicies.map((policy) => [policy.policyId, policy]));
    this.reindex();
  }

  /** Every policy in force, by id. */
  list(): BudgetPolicy[] {
    return [...this.effective.values()].sort((a, b) => a.policyId.localeCompare(b.policyId));
  }

  get(policyId: string): BudgetPolicy | undefined {
    return this.effective.get(policyId);
  }

  /** True when the id belongs to a config policy (overridden or not). */
  isFromConfig(policyId: string): boolean {
    return this.config.has(policyId);
  }

  /** The enabled policies that apply to a run for this subject, by id. */
  applicable(subject: BudgetSubject): BudgetPolicy[] {
    const found = [...this.global];
    const add = (kind: string, id: string | undefined) => {
      if (id === undefined || id === "") return;
      const policies = this.scoped.get(scopeKey(kind, id));
      if (policies !== undefined) found.push(...policies);
    };
    add("agent", subject.agentId);
    add("session", subject.sessionId);
    add("user", subject.userId);
    add("api_key", subject.apiKeyId);
    return found;
  }

  /**
   * Stores a runtime policy (already validated). When the policy now counts something else than
   * before (scope, metric or interval), its counters start from zero.
   */
  set(policy: BudgetPolicy): Promise<BudgetPolicy> {
    return this.serialize(async () => {
      const stored: BudgetPolicy = { ...policy, source: "runtime" };
      const before = this.effective.get(policy.policyId);
      const at = this.now();
      await this.db.transaction().execute(async (trx) => {
        await upsertBudgetPolicyRow(trx, rowFromPolicy(stored, at));
        if (before !== undefined && measureOf(before) !== measureOf(stored)) await deleteCounters(trx, policy.policyId);
      });
      this.runtime.set(policy.policyId, stored);
      this.reindex();
      return stored;
    });
  }

  /**
   * Deletes a runtime policy. Its counters go with it, unless a config policy of the same id and
   * measure takes its place. Returns false when there was no runtime policy of that id.
   */
  delete(policyId: string): Promise<boolean> {
    return this.serialize(async () => {
      const before = this.runtime.get(policyId);
      if (before === undefined) return false;
      const after = this.config.get(policyId);
      await this.db.transaction().execute(async (trx) => {
        await deleteBudgetPolicyRow(trx, policyId);
        if (after === undefined || measureOf(after) !== measureOf(before)) await deleteCounters(trx, policyId);
      });
      this.runtime.delete(policyId);
      this.reindex();
      return true;
    });
  }

  private serialize<T>(write: () => Promise<T>): Promise<T> {
    const done = this.writes.then(write);
    this.writes = done.catch(() => undefined);
    return done;
  }

  private reindex(): void {
    this.effective = new Map([...this.config, ...this.runtime]);
    this.global.length = 0;
    this.scoped.clear();
    for (const policy of this.list()) {
      if (!policy.enabled) continue;
      if (policy.scopeKind === "global") {
        this.global.push(policy);
        continue;
      }
      const key = scopeKey(policy.scopeKind, policy.scopeId);
      const policies = this.scoped.get(key);
      if (policies === undefined) this.scoped.set(key, [policy]);
      else policies.push(policy);
    }
  }
}

function scopeKey(kind: string, id: string): string {
  return `${kind}\u0000${id}`;
}

function policyFromRow(row: BudgetPolicyRow): BudgetPolicy {
  return {
    policyId: row.policy_id,
    scopeKind: row.scope_kind as BudgetPolicy["scopeKind"],
    scopeId: row.scope_id,
    metricKind: row.metric_kind as BudgetPolicy["metricKind"],
    intervalKind: row.interval_kind as BudgetPolicy["intervalKind"],
    softLimit: Number(row.soft_limit_value),
    hardLimit: Number(row.hard_limit_value),
    action: row.action as BudgetPolicy["action"],
    enabled: Number(row.enabled) === 1,
    source: "runtime",
  };
}

function rowFromPolicy(policy: BudgetPolicy, at: number): BudgetPolicyRow {
  return {
    policy_id: policy.policyId,
    scope_kind: policy.scopeKind,
    scope_id: policy.scopeId,
    metric_kind: policy.metricKind,
    interval_kind: policy.intervalKind,
    soft_limit_value: policy.softLimit,
    hard_limit_value: policy.hardLimit,
    action: policy.action,
    enabled: policy.enabled ? 1 : 0,
    created_at: at,
    updated_at: at,
  };
}
