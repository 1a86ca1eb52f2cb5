import type { Kysely } from "kysely";
import type { LedgerWrite, RunCost, RunSettlement } from "../governance/run-governance.js";
import type { Logger } from "../shared/logger.js";
import type { Usage } from "../shared/model-types.js";
import type { Database } from "../store/tables.js";
import { buildRunEnd, type EndingRun, type RunEnd, type RunFacts, settlementOf, unrecordedEnd } from "./run-end.js";
import { recordRunEnd } from "./run-records.js";

/** Charges an admitted run's budgets and records its end in the same transaction (governance's settle, bound to the run's admission). */
export type SettleRun = (settlement: RunSettlement, recordEnd: LedgerWrite<[RunCost]>) => Promise<RunCost>;

export interface CloseRunDeps {
  db: Kysely<Database>;
  logger: Logger;
  now: () => number;
  /** Told the usage the run is charged, before its end is recorded (per-caller token limits count it). */
  onUsage?: ((usage: Usage) => void) | undefined;
  /** Told the run's end once it is recorded, with its cost (the metrics). */
  onEnd?: ((end: RunEnd) => void) | undefined;
}

/** An admitted run about to be closed: how its end is judged, and how its budgets are settled (undefined without governance). */
export interface ClosingRun extends EndingRun {
  settle: SettleRun | undefined;
}

/** A run without governance has no known cost. */
const noCost: RunCost = { costUsd: 0, costEstimated: false };

/**
 * Closes out any admitted run, chat or one-shot: builds its end from what its work left behind,
 * settles its budgets and records the end with its cost, and returns the end as recorded. Never
 * throws: a run whose end could not be recorded ends failed (internal), and the error is logged.
 */
export async function closeRun(deps: CloseRunDeps, run: ClosingRun, facts: RunFacts): Promise<RunEnd> {
  const end = buildRunEnd(run, facts, deps.now());
  tellUsage(deps, end);
  try {
    const cost = await settleAndRecord(deps, run.settle, end);
    return tellEnd(deps, { ...end, cost });
  } catch (error) {
    deps.logger.error({ err: error, runId: run.runId }, "could not record the end of a run");
    return tellEnd(deps, unrecordedEnd(end));
  }
}

/** Tells the end observer; counting a run must never change how it ends. */
function tellEnd(deps: CloseRunDeps, end: RunEnd): RunEnd {
  try {
    deps.onEnd?.(end);
  } catch (error) {
    deps.logger.error({ err: error, runId: end.runId }, "could not count the end of a run");
  }
  return end;
}

/** Tells the usage observer; its failure must not keep the run from being recorded. */
function tellUsage(deps: CloseRunDeps, end: RunEnd): void {
  try {
    if (end.usage !== undefined) deps.onUsage?.(end.usage);
  } catch (error) {
    deps.logger.error({ err: error, runId: end.runId }, "could not count a run's usage against its caller's limits");
  }
}

/**
 * Records the end with its cost: through governance, which charges the budgets in the same
 * transaction, or alone when there is none. Throws only when the run could not be recorded at all.
 */
async function settleAndRecord(deps: CloseRunDeps, settle: SettleRun | undefined, end: RunEnd): Promise<RunCost> {
  const recordEnd: LedgerWrite<[RunCost]> = (db, cost) => recordRunEnd(db, { ...end, cost });
  if (settle === undefined) {
    await recordEnd(deps.db, noCost);
    return noCost;
  }
  try {
    return await settle(settlementOf(end), recordEnd);
  } catch (error) {
    // Charging failed and its transaction rolled back; the run happened either way, so record it alone.
    // Its reservation stays held until the daemon restarts: the budget errs towards refusing, never overspending.
    deps.logger.error({ err: error, runId: end.runId }, "could not charge a run's budgets; recording the run without its cost");
    const unknown: RunCost = { costUsd: 0, costEstimated: true };
    await recordEnd(deps.db, unknown);
    return unknown;
  }
}
