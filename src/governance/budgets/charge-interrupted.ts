import type { Kysely } from "kysely";
import type { Usage } from "../../shared/model-types.js";
import { chargeCounters } from "../../store/budget-counters-repository.js";
import type { Database } from "../../store/tables.js";
import type { PriceBook } from "../pricing/price-book.js";
import type { InterruptedRun, LedgerWrite, RunCost } from "../run-governance.js";
import type { BudgetPolicies } from "./budget-policies.js";
import type { IntervalClock } from "./interval-clock.js";

export interface ChargeInterruptedDeps {
  db: Kysely<Database>;
  policies: BudgetPolicies;
  priceBook: PriceBook;
  clock: IntervalClock;
}

/**
 * Charges a run a killed daemon left unfinished with its last checkpoint (the usage its heartbeat
 * carried), and records its end, in one transaction. The upstream produced (and billed) that output,
 * so the budgets and the ledger count it; it is estimated, never exact. Its reservation is gone
 * already (start-up releases them all), so nothing is released. Counted in the interval of the
 * checkpoint, where the spend happened.
 */
export async function chargeInterruptedRun(deps: ChargeInterruptedDeps, run: InterruptedRun, recordEnd: LedgerWrite<[RunCost]>): Promise<RunCost> {
  const usage: Usage = { ...run.usage, estimated: true };
  const tokens = usage.inputTokens + usage.outputTokens;
  const priced = tokens === 0 ? { costUsd: 0 } : deps.priceBook.costOf(run, usage, run.at);
  const cost: RunCost = { costUsd: priced.costUsd, costEstimated: tokens > 0 };
  const policies = tokens === 0 ? [] : deps.policies.applicable(run.subject).sort((a, b) => (a.policyId < b.policyId ? -1 : 1));
  await deps.db.transaction().execute(async (trx) => {
    const charges = policies
      .map((policy) => {
        const interval = deps.clock.at(policy.intervalKind, run.at);
        return {
          key: { policyId: policy.policyId, intervalStart: interval.start, intervalEnd: interval.end },
          consumed: policy.metricKind === "tokens" ? tokens : cost.costUsd,
          released: 0,
        };
      })
      .filter((charge) => charge.consumed > 0);
    await chargeCounters(trx, charges);
    await recordEnd(trx, cost);
  });
  return cost;
}
