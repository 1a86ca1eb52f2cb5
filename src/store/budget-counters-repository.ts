import { type Kysely, sql } from "kysely";
import type { BudgetCounterRow, Database } from "./tables.js";

/** One policy's calendar interval. */
export interface CounterKey {
  policyId: string;
  intervalStart: number;
  intervalEnd: number;
}

/** What is left reserved below this (USD or tokens) is rounding error: a nano-dollar, a billionth of a token. */
const releaseDust = 1e-9;

/** Counters by key, as they stand (read-only: ExplainRouting, smart routing). */
export async function readCounters(db: Kysely<Database>, keys: readonly CounterKey[]): Promise<BudgetCounterRow[]> {
  if (keys.length === 0) return [];
  return db
    .selectFrom("budget_counters")
    .selectAll()
    .where((eb) => eb.or(keys.map((key) => eb.and([eb("policy_id", "=", key.policyId), eb("interval_start", "=", key.intervalStart)]))))
    .execute();
}

/**
 * Adds each amount to its counter's reservation, creating counters as needed, in one statement, and
 * returns the counters as they now stand (this reservation included). The upsert takes each row's
 * write lock (on PostgreSQL, in the order given: callers pass keys in one global order so two
 * transactions never wait on each other in a cycle); SQLite runs one write transaction at a time.
 */
export async function reserveOnCounters(db: Kysely<Database>, entries: readonly { key: CounterKey; amount: number }[]): Promise<BudgetCounterRow[]> {
  if (entries.length === 0) return [];
  return db
    .insertInto("budget_counters")
    .values(entries.map(({ key, amount }) => ({ policy_id: key.policyId, interval_start: key.intervalStart, interval_end: key.intervalEnd, consumed: 0, reserved: amount })))
    .onConflict((conflict) =>
      conflict.columns(["policy_id", "interval_start"]).doUpdateSet((eb) => ({ reserved: eb("budget_counters.reserved", "+", eb.ref("excluded.reserved")) })),
    )
    .returningAll()
    .execute();
}

/** Takes back part of a reservation made in the same transaction (never below 0). */
export async function releaseOnCounter(db: Kysely<Database>, key: CounterKey, amount: number): Promise<void> {
  await db
    .updateTable("budget_counters")
    .set({ reserved: sql<number>`case when reserved - ${number(amount)} < ${releaseDust} then 0 else reserved - ${number(amount)} end` })
    .where("policy_id", "=", key.policyId)
    .where("interval_start", "=", key.intervalStart)
    .execute();
}

/**
 * Charges what a run used and releases its reservations (never below 0), on every counter at once,
 * in one statement. A run has one counter per policy, so the amount released is chosen by policy id.
 * Returns each counter's consumed value afterwards, for soft-limit alerts.
 */
export async function chargeCounters(
  db: Kysely<Database>,
  charges: readonly { key: CounterKey; consumed: number; released: number }[],
): Promise<{ policyId: string; consumed: number }[]> {
  if (charges.length === 0) return [];
  const released = sql<number>`case budget_counters.policy_id ${sql.join(
    charges.map((charge) => sql`when ${charge.key.policyId} then ${number(charge.released)}`),
    sql` `,
  )} else 0 end`;
  const rows = await db
    .insertInto("budget_counters")
    .values(charges.map(({ key, consumed }) => ({ policy_id: key.policyId, interval_start: key.intervalStart, interval_end: key.intervalEnd, consumed, reserved: 0 })))
    .onConflict((conflict) =>
      conflict.columns(["policy_id", "interval_start"]).doUpdateSet((eb) => ({
        consumed: eb("budget_counters.consumed", "+", eb.ref("excluded.consumed")),
        // CASE rather than max()/greatest(): the same SQL on SQLite and PostgreSQL. Sums and differences
        // of USD amounts leave rounding dust; below a billionth it is nothing reserved.
        reserved: sql<number>`case when budget_counters.reserved - ${released} < ${releaseDust} then 0 else budget_counters.reserved - ${released} end`,
      })),
    )
    .returning(["policy_id", "consumed"])
    .execute();
  return rows.map((row) => ({ policyId: row.policy_id, consumed: Number(row.consumed) }));
}

/** A parameter PostgreSQL reads as a number wherever it stands (SQLite reads it as REAL). */
function number(value: number) {
  return sql<number>`cast(${value} as double precision)`;
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
