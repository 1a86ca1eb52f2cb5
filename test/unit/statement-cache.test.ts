import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { withStatementCache } from "../../src/store/statement-cache.js";

describe("withStatementCache", () => {
  it("prepares each distinct SQL text once and keeps the statements usable", () => {
    const raw = new Database(":memory:");
    let prepared = 0;
    const prepare = raw.prepare.bind(raw);
    raw.prepare = ((sql: string) => {
      prepared++;
      return prepare(sql);
    }) as typeof raw.prepare;
    const db = withStatementCache(raw, 2);
    db.prepare("create table t (v integer)").run([]);
    const insert = db.prepare("insert into t (v) values (?)");
    expect(db.prepare("insert into t (v) values (?)")).toBe(insert);
    insert.run([1]);
    db.prepare("insert into t (v) values (?)").run([2]);
    expect(db.prepare("select sum(v) as total from t").all([])).toEqual([{ total: 3 }]);
    expect(prepared).toBe(3);
    // Beyond the bound the least recently used statement is dropped and prepared again when needed.
    db.prepare("select 1");
    expect(db.prepare("insert into t (v) values (?)")).not.toBe(insert);
    expect(prepared).toBe(5);
    db.close();
  });
});
