import type { Kysely } from "kysely";
import type { Logger } from "../shared/logger.js";
import type { Database } from "../store/tables.js";
import type { LedgerWrite, RunCost, RunSettlement } from "../governance/run-governance.js";

/** Charges an admitted run's budgets and records its end in the same transaction (governance's settle, bound to the run's admission). */
export type SettleRun = (settlement: RunSettlement, recordEnd: LedgerWrite<[RunCost]>) => Promise<RunCost>;

/** A run without governance has no known cost. */
const noCost: RunCost = { costUsd: 0, costEstimated: false };

/**
 * Records how a run ended, with its cost: through governance, which charges its budgets in the same
 * transaction, or alone when there is none. Throws only when the run could not be recorded at all.
 */
export async function closeRun(
  deps: { db: Kysely<Database>; settle?: SettleRun | undefined; logger: Logger },
  settlement: RunSettlement,
  recordEnd: LedgerWrite<[RunCost]>,
): Promise<RunCost> {
  if (deps.settle === undefined) {
    await recordEnd(deps.db, noCost);
    return noCost;
  }
  try {
    return await deps.settle(settlement, recordEnd);
  } catch (error) {
    // Charging failed and its transaction rolled back; the run happened either way, so record it alone.
    // Its reservation stays held until the daemon restarts: the budget errs towards refusing, never overspending.
    deps.logger.error({ err: error }, "could not charge a run's budgets; recording the run without its cost");
    const unknown: RunCost = { costUsd: 0, costEstimated: true };
    await recordEnd(deps.db, unknown);
    return unknown;
  }
}
