import { intervalAt } from "../../shared/budget-interval.js";
import type { BudgetPolicy } from "../../shared/budget-policy.js";
import { type CounterKey, findCounter, setCounterConsumed } from "../../store/budget-counters-repository.js";
import { type LedgerCursor, pageLedgerCharges } from "../../store/budget-ledger-repository.js";
import { listBudgetPolicyRows } from "../../store/budget-policies-repository.js";
import { type AuditDeps, type AuditFinding, type CheckResult, counterTolerance, yieldToEventLoop } from "./audit-types.js";

/** Reads of a busy counter before the audit leaves it for next time. */
const attemptsPerCounter = 3;

/**
 * Every enabled policy's counter for its current interval must equal what the ledger says its scope
 * used in that interval: tokens (input + output, cache hits excluded) or cost_usd of finished runs.
 * The ledger is summed a page at a time with yields between, not in one statement and not in one
 * transaction: the counter is read before and after, and a counter that moved meanwhile (a run was
 * charged) is read again. With `repair`, a drifted counter is set to the ledger's sum.
 *
 * A runtime policy set or changed during its current interval is not judged until the next one: the
 * ledger holds that interval's runs from before it, which its counter rightly never counted.
 */
export async function checkBudgetCounters(deps: Pick<AuditDeps, "db" | "policies" | "timeZone" | "now" | "batchSize">, repair: boolean): Promise<CheckResult> {
  const findings: AuditFinding[] = [];
  let checked = 0;
  const runtimeChangedAt = new Map((await listBudgetPolicyRows(deps.db)).map((row) => [row.policy_id, Number(row.updated_at)]));
  for (const policy of deps.policies()) {
    if (!policy.enabled) continue;
    const interval = intervalAt(policy.intervalKind, deps.now(), deps.timeZone);
    if (policy.source === "runtime" && (runtimeChangedAt.get(policy.policyId) ?? 0) > interval.start) continue;
    const key: CounterKey = { policyId: policy.policyId, intervalStart: interval.start, intervalEnd: interval.end };
    const standing = await stableStanding(deps, policy, key);
    checked += 1;
    if (standing === undefined || Math.abs(standing.counter - standing.ledger) <= counterTolerance) continue;
    const repaired = repair && (await setCounterConsumed(deps.db, key, standing.counter, standing.ledger));
    const unit = policy.metricKind === "tokens" ? "tokens" : "USD";
    findings.push({
      check: "budget_counter",
      severity: "warning",
      objectKind: "budget_counter",
      objectId: `${policy.policyId}@${new Date(interval.start).toISOString()}`,
      message: `budget "${policy.policyId}" counts ${round(standing.counter)} ${unit} consumed this ${policy.intervalKind} interval, the ledger ${round(standing.ledger)}`,
      remediation: repaired ? `set the counter's consumed to the ledger's ${round(standing.ledger)} ${unit}` : undefined,
    });
  }
  return { findings, checked };
}

/** The counter and the ledger's sum as of one moment: undefined when the counter kept moving. */
async function stableStanding(
  deps: Pick<AuditDeps, "db" | "batchSize">,
  policy: BudgetPolicy,
  key: CounterKey,
): Promise<{ counter: number; ledger: number } | undefined> {
  for (let attempt = 0; attempt < attemptsPerCounter; attempt += 1) {
    const before = await consumedOf(deps, key);
    const ledger = await ledgerSum(deps, policy, key);
    // A run is charged and its ledger row ended in one transaction: an unchanged counter means no
    // charge of this counter landed while the pages were read, so the two agree or truly drifted.
    if ((await consumedOf(deps, key)) === before) return { counter: before, ledger };
  }
  return undefined;
}

async function consumedOf(deps: Pick<AuditDeps, "db">, key: CounterKey): Promise<number> {
  const row = await findCounter(deps.db, key.policyId, key.intervalStart);
  return row === undefined ? 0 : Number(row.consumed);
}

async function ledgerSum(deps: Pick<AuditDeps, "db" | "batchSize">, policy: BudgetPolicy, key: CounterKey): Promise<number> {
  const limit = deps.batchSize ?? 500;
  const scope = { kind: policy.scopeKind, id: policy.scopeId };
  let after: LedgerCursor | undefined;
  let sum = 0;
  for (;;) {
    const page = await pageLedgerCharges(deps.db, { scope, start: key.intervalStart, end: key.intervalEnd, after, limit });
    for (const charge of page) sum += policy.metricKind === "tokens" ? charge.tokens : charge.costUsd;
    const last = page.at(-1);
    if (page.length < limit || last === undefined) return sum;
    after = { createdAt: last.createdAt, runId: last.runId };
    await yieldToEventLoop();
  }
}

function round(value: number): string {
  return String(Math.round(value * 1e6) / 1e6);
}
