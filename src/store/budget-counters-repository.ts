import { type Kysely, sql } from "kysely";
import type { BudgetCounterRow, Database } from "./tables.js";

/** One policy's calendar interval. */
export interface CounterKey {
  policyId: string;
  intervalStart: number;
  intervalEnd: number;
}

/**
 * Creates the counters that do not exist yet, so the locking read below finds (and on PostgreSQL
 * locks) a row for every key: two first requests of an interval cannot both read "nothing used".
 * Rows are inserted in the order given (see readCounters).
 */
export async function ensureCounters(db: Kysely<Database>, keys: readonly CounterKey[]): Promise<void> {
  if (keys.length === 0) return;
  await db
    .insertInto("budget_counters")
    .values(keys.map((key) => ({ policy_id: key.policyId, interval_start: key.intervalStart, interval_end: key.intervalEnd, consumed: 0, reserved: 0 })))
    .onConflict((conflict) => conflict.columns(["policy_id", "interval_start"]).doNothing())
    .execute();
}

/**
 * Reads counters by key. With `lock` (PostgreSQL) each row is read FOR UPDATE, one key at a time in
 * the order given, and stays locked until the transaction ends: callers pass keys in one global
 * order, so two transactions never wait on each other in a cycle. SQLite has no FOR UPDATE and
 * needs none: its one connection runs one transaction at a time.
 */
export async function readCounters(db: Kysely<Database>, keys: readonly CounterKey[], options: { lock: boolean }): Promise<BudgetCounterRow[]> {
  if (keys.length === 0) return [];
  if (options.lock) {
    const rows: BudgetCounterRow[] = [];
    for (const key of keys) {
      const row = await db.selectFrom("budget_counters").selectAll().where("policy_id", "=", key.policyId).where("interval_start", "=", key.intervalStart).forUpdate().executeTakeFirst();
      if (row !== undefined) rows.push(row);
    }
    return rows;
  }
  return db
    .selectFrom("budget_counters")
    .selectAll()
    .where((eb) => eb.or(keys.map((key) => eb.and([eb("policy_id", "=", key.policyId), eb("interval_start", "=", key.intervalStart)]))))
    .execute();
}

/** Adds to a counter's reservation (creating the counter if needed). */
export async function addReserved(db: Kysely<Database>, key: CounterKey, amount: number): Promise<void> {
  await db
    .insertInto("budget_counters")
    .values({ policy_id: key.policyId, interval_start: key.intervalStart, interval_end: key.intervalEnd, consumed: 0, reserved: amount })
    .onConflict((conflict) =>
      conflict.columns(["policy_id", "interval_start"]).doUpdateSet((eb) => ({ reserved: eb("budget_counters.reserved", "+", eb.ref("excluded.reserved")) })),
    )
    .execute();
}

/** What is left reserved below this (USD or tokens) is rounding error: a nano-dollar, a billionth of a token. */
const releaseDust = 1e-9;

/**
 * Charges what a run used and releases its reservation (never below 0). Returns the counter's
 * consumed value afterwards, for soft-limit alerts.
 */
export async function chargeCounter(db: Kysely<Database>, key: CounterKey, charge: { consumed: number; released: number }): Promise<number> {
  const row = await db
    .insertInto("budget_counters")
    .values({ policy_id: key.policyId, interval_start: key.intervalStart, interval_end: key.intervalEnd, consumed: charge.consumed, reserved: 0 })
    .onConflict((conflict) =>
      conflict.columns(["policy_id", "interval_start"]).doUpdateSet((eb) => ({
        consumed: eb("budget_counters.consumed", "+", eb.ref("excluded.consumed")),
        // CASE rather than max()/greatest(): the same SQL on SQLite and PostgreSQL. Sums and differences
        // of USD amounts leave rounding dust; below a billionth it is nothing reserved.
        reserved: sql<number>`case when budget_counters.reserved - ${charge.released} < ${releaseDust} then 0 else budget_counters.reserved - ${charge.released} end`,
      })),
    )
    .returning("consumed")
    .executeTakeFirstOrThrow();
  return Number(row.consumed);
}

/** The counter of one policy's interval, if anything was counted in it. */
export async function findCounter(db: Kysely<Database>, policyId: string, intervalStart: number): Promise<BudgetCounterRow | undefined> {
  return db.selectFrom("budget_counters").selectAll().where("policy_id", "=", policyId).where("interval_start", "=", intervalStart).executeTakeFirst();
}

/** Forgets a policy's counters (it was removed, or now measures something else). */
export async function deleteCounters(db: Kysely<Database>, policyId: string): Promise<void> {
  await db.deleteFrom("budget_counters").where("policy_id", "=", policyId).execute();
}

/**
 * Drops every reservation: at start-up no run is in flight, so what is still reserved belongs to runs
 * a stopped daemon left unfinished (closed out as interrupted, charged nothing).
 */
export async function releaseAllReservations(db: Kysely<Database>): Promise<number> {
  const result = await db.updateTable("budget_counters").set({ reserved: 0 }).where("reserved", "<>", 0).executeTakeFirst();
  return Number(result.numUpdatedRows);
}
