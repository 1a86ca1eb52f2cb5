import { type Kysely, sql } from "kysely";
import { compiledStatement } from "./compiled-statement.js";
import type { BudgetCounterRow, Database } from "./tables.js";

/** One policy's calendar interval. */
export interface CounterKey {
  policyId: string;
  intervalStart: number;
  intervalEnd: number;
}

/** What is left reserved below this (USD or tokens) is rounding error: a nano-dollar, a billionth of a token. */
const releaseDust = 1e-9;

// The statements every run executes (admission, settlement, smart routing's budget preview) are
// compiled once per number of counters: see compiled-statement.ts.

const readStatement = compiledStatement((db, keys: readonly { policyId: string; intervalStart: number }[]) =>
  db
    .selectFrom("budget_counters")
    .selectAll()
    .where((eb) => eb.or(keys.map((key) => eb.and([eb("policy_id", "=", key.policyId), eb("interval_start", "=", key.intervalStart)])))),
);

/** Counters by key, as they stand (read-only: ExplainRouting, smart routing). */
export async function readCounters(db: Kysely<Database>, keys: readonly CounterKey[]): Promise<BudgetCounterRow[]> {
  if (keys.length === 0) return [];
  const result = await readStatement.execute(
    db,
    keys.map((key) => ({ policyId: key.policyId, intervalStart: key.intervalStart })),
  );
  return result.rows;
}

const reserveStatement = compiledStatement((db, entries: readonly { policyId: string; intervalStart: number; intervalEnd: number; amount: number }[]) =>
  db
    .insertInto("budget_counters")
    .values(
      entries.map((entry) => ({
        policy_id: entry.policyId,
        interval_start: entry.intervalStart,
        interval_end: entry.intervalEnd,
        consumed: 0,
        reserved: entry.amount,
      })),
    )
    .onConflict((conflict) =>
      conflict.columns(["policy_id", "interval_start"]).doUpdateSet((eb) => ({ reserved: eb("budget_counters.reserved", "+", eb.ref("excluded.reserved")) })),
    )
    .returningAll(),
);

/**
 * Adds each amount to its counter's reservation, creating counters as needed, in one statement, and
 * returns the counters as they now stand (this reservation included). The upsert takes each row's
 * write lock (on PostgreSQL, in the order given: callers pass keys in one global order so two
 * transactions never wait on each other in a cycle); SQLite runs one write transaction at a time.
 */
export async function reserveOnCounters(db: Kysely<Database>, entries: readonly { key: CounterKey; amount: number }[]): Promise<BudgetCounterRow[]> {
  if (entries.length === 0) return [];
  const result = await reserveStatement.execute(
    db,
    entries.map(({ key, amount }) => ({ policyId: key.policyId, intervalStart: key.intervalStart, intervalEnd: key.intervalEnd, amount })),
  );
  return result.rows;
}

const releaseStatement = compiledStatement((db, release: { policyId: string; intervalStart: number; amount: number }) =>
  db
    .updateTable("budget_counters")
    .set({ reserved: sql<number>`case when reserved - ${number(release.amount)} < ${releaseDust} then 0 else reserved - ${number(release.amount)} end` })
    .where("policy_id", "=", release.policyId)
    .where("interval_start", "=", release.intervalStart),
);

/** Takes back part of a reservation made in the same transaction (never below 0). */
export async function releaseOnCounter(db: Kysely<Database>, key: CounterKey, amount: number): Promise<void> {
  await releaseStatement.execute(db, { policyId: key.policyId, intervalStart: key.intervalStart, amount });
}

const chargeStatement = compiledStatement(
  (db, charges: readonly { policyId: string; intervalStart: number; intervalEnd: number; consumed: number; released: number }[]) => {
    const released = sql<number>`case budget_counters.policy_id ${sql.join(
      charges.map((charge) => sql`when ${charge.policyId} then ${number(charge.released)}`),
      sql` `,
    )} else 0 end`;
    return db
      .insertInto("budget_counters")
      .values(
        charges.map((charge) => ({
          policy_id: charge.policyId,
          interval_start: charge.intervalStart,
          interval_end: charge.intervalEnd,
          consumed: charge.consumed,
          reserved: 0,
        })),
      )
      .onConflict((conflict) =>
        conflict.columns(["policy_id", "interval_start"]).doUpdateSet((eb) => ({
          consumed: eb("budget_counters.consumed", "+", eb.ref("excluded.consumed")),
          // CASE rather than max()/greatest(): the same SQL on SQLite and PostgreSQL. Sums and differences
          // of USD amounts leave rounding dust; below a billionth it is nothing reserved.
          reserved: sql<number>`case when budget_counters.reserved - ${released} < ${releaseDust} then 0 else budget_counters.reserved - ${released} end`,
        })),
      )
      .returning(["policy_id", "consumed"]);
  },
);

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
  const { rows } = await chargeStatement.execute(
    db,
    charges.map(({ key, consumed, released }) => ({
      policyId: key.policyId,
      intervalStart: key.intervalStart,
      intervalEnd: key.intervalEnd,
      consumed,
      released,
    })),
  );
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
 * a stopped daemon left unfinished (closed out as interrupted, charged their last checkpoint instead).
 */
export async function releaseAllReservations(db: Kysely<Database>): Promise<number> {
  const result = await db.updateTable("budget_counters").set({ reserved: 0 }).where("reserved", "<>", 0).executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Sets a counter's consumed figure (the integrity audit repairing drift from the ledger), only while it
 * still holds what the audit read: a run charged since then makes this a no-op. True when it was set.
 */
export async function setCounterConsumed(db: Kysely<Database>, key: CounterKey, expected: number, consumed: number): Promise<boolean> {
  const result = await db
    .updateTable("budget_counters")
    .set({ consumed })
    .where("policy_id", "=", key.policyId)
    .where("interval_start", "=", key.intervalStart)
    .where("consumed", "=", expected)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) > 0 || expected !== 0) return Number(result.numUpdatedRows) > 0;
  // No counter yet (nothing was charged in this interval): create it, unless a run just did.
  const inserted = await db
    .insertInto("budget_counters")
    .values({ policy_id: key.policyId, interval_start: key.intervalStart, interval_end: key.intervalEnd, consumed, reserved: 0 })
    .onConflict((conflict) => conflict.columns(["policy_id", "interval_start"]).doNothing())
    .executeTakeFirst();
  return Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** Counters with something still reserved (palyra doctor: with no daemon running, nothing should be). */
export async function listReservedCounters(db: Kysely<Database>): Promise<Pick<BudgetCounterRow, "policy_id" | "interval_start" | "reserved">[]> {
  return db.selectFrom("budget_counters").select(["policy_id", "interval_start", "reserved"]).where("reserved", "<>", 0).execute();
}
