import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Dialect, DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { compiledStatement } from "../../src/store/compiled-statement.js";
import { openSqliteStore, type Store } from "../../src/store/open-store.js";
import { findRun, insertRun, updateRun } from "../../src/store/runs-repository.js";
import type { Database } from "../../src/store/tables.js";
import { runningRunRow } from "../helpers/run-rows.js";

let dir: string;
let store: Store;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "palyra-compiled-"));
  store = await openSqliteStore(join(dir, "palyra.sqlite"));
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const alert = (id: string, consumed: number, message = "m") => ({ id, consumed, message });

const runRow = runningRunRow({ run_id: "" });

describe("compiledStatement", () => {
  it("builds a statement once per shape and runs it with each call's values, in and out of transactions", async () => {
    let builds = 0;
    const insert = compiledStatement((db, rows: readonly { id: string; consumed: number; message: string }[]) => {
      builds++;
      return db.insertInto("budget_alerts").values(
        rows.map((row) => ({
          alert_id: row.id,
          policy_id: "p",
          interval_start: row.consumed,
          created_at: 1,
          consumed: row.consumed,
          soft_limit_value: 10,
          message: row.message,
        })),
      );
    });
    await insert.execute(store.db, [alert("a", 1)]);
    await insert.execute(store.db, [alert("b", 2, "n")]);
    await store.db.transaction().execute((trx) => insert.execute(trx, [alert("c", 3)]));
    expect(builds).toBe(1);
    // Two rows are another shape: built once more, then reused.
    await insert.execute(store.db, [alert("d", 4), alert("e", 5)]);
    await insert.execute(store.db, [alert("f", 6), alert("g", 7)]);
    expect(builds).toBe(2);
    const rows = await store.db.selectFrom("budget_alerts").select(["alert_id", "consumed", "message"]).orderBy("alert_id").execute();
    expect(rows).toEqual([
      { alert_id: "a", consumed: 1, message: "m" },
      { alert_id: "b", consumed: 2, message: "n" },
      { alert_id: "c", consumed: 3, message: "m" },
      { alert_id: "d", consumed: 4, message: "m" },
      { alert_id: "e", consumed: 5, message: "m" },
      { alert_id: "f", consumed: 6, message: "m" },
      { alert_id: "g", consumed: 7, message: "m" },
    ]);
  });

  it("passes the value given for a parameter that stands twice, and keeps the statement's own constants", async () => {
    await store.db.insertInto("budget_counters").values({ policy_id: "p", interval_start: 0, interval_end: 1, consumed: 0, reserved: 10 }).execute();
    const take = compiledStatement((db, params: { amount: number }) =>
      db
        .updateTable("budget_counters")
        .set({ reserved: sql<number>`case when reserved - ${params.amount} < ${0.5} then 0 else reserved - ${params.amount} end` }),
    );
    await take.execute(store.db, { amount: 3 });
    expect((await store.db.selectFrom("budget_counters").select("reserved").executeTakeFirstOrThrow()).reserved).toBe(7);
    await take.execute(store.db, { amount: 6.75 });
    expect((await store.db.selectFrom("budget_counters").select("reserved").executeTakeFirstOrThrow()).reserved).toBe(0);
  });

  it("runs the ledger's statements with null values as well as set ones", async () => {
    const row = { ...runRow, run_id: "r1", agent_id: "agent" };
    await insertRun(store.db, row);
    await insertRun(store.db, { ...runRow, run_id: "r2" });
    await updateRun(store.db, "r1", { status: "succeeded", error_kind: null, finish_reason: "stop" });
    await updateRun(store.db, "r2", { status: "failed", error_kind: "timeout", finish_reason: null });
    expect(await findRun(store.db, "r1")).toMatchObject({ agent_id: "agent", status: "succeeded", error_kind: null, finish_reason: "stop" });
    expect(await findRun(store.db, "r2")).toMatchObject({ agent_id: null, status: "failed", error_kind: "timeout", finish_reason: null });
  });

  it("keys the shape by the keys present, since kysely leaves undefined values out", async () => {
    await store.db.insertInto("budget_counters").values({ policy_id: "p", interval_start: 0, interval_end: 1, consumed: 0, reserved: 0 }).execute();
    const update = compiledStatement((db, patch: { consumed?: number; reserved?: number }) => db.updateTable("budget_counters").set(patch));
    await update.execute(store.db, { consumed: 5, reserved: undefined });
    await update.execute(store.db, { reserved: 2 });
    expect(await store.db.selectFrom("budget_counters").select(["consumed", "reserved"]).executeTakeFirstOrThrow()).toEqual({ consumed: 5, reserved: 2 });
  });

  it("refuses, when first compiled, a statement that puts a value into its SQL text or leaves one out", async () => {
    const inText = compiledStatement((db, params: { table: string }) => db.selectFrom("budget_counters").select(sql.raw<string>(`'${params.table}'`).as("t")));
    await expect(inText.execute(store.db, { table: "x" })).rejects.toThrow(/SQL text/);
    const leftOut = compiledStatement((db, _params: { unused: number }) => db.selectFrom("budget_counters").selectAll());
    await expect(leftOut.execute(store.db, { unused: 1 })).rejects.toThrow(/left 1 of its 1 parameters out/);
  });

  it("compiles for each dialect it runs on", async () => {
    const executed: string[] = [];
    // PostgreSQL's adapter and compiler over a driver that runs nothing: the SQL is logged, not sent.
    const dialect: Dialect = {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    };
    const postgres = new Kysely<Database>({
      dialect,
      log: (event) => {
        executed.push(event.query.sql);
      },
    });
    const find = compiledStatement((db, params: { policyId: string }) => db.selectFrom("budget_counters").selectAll().where("policy_id", "=", params.policyId));
    await find.execute(postgres, { policyId: "p" });
    expect(await find.execute(store.db, { policyId: "p" })).toMatchObject({ rows: [] });
    await find.execute(postgres, { policyId: "q" });
    expect(executed).toEqual(['select * from "budget_counters" where "policy_id" = $1', 'select * from "budget_counters" where "policy_id" = $1']);
    await postgres.destroy();
  });
});
