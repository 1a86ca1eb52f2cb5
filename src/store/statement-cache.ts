import type BetterSqlite3 from "better-sqlite3";
import type { SqliteDatabase, SqliteStatement } from "kysely";
import { LRUCache } from "lru-cache";

/**
 * Kysely's SQLite driver prepares every query anew, and preparing costs more than running the small
 * statements on the request path. Compiled queries repeat exactly, so their prepared statements are
 * kept and reused (better-sqlite3 statements are reusable and the driver is synchronous).
 */
export function withStatementCache(database: BetterSqlite3.Database, maxStatements = 256): SqliteDatabase {
  const statements = new LRUCache<string, SqliteStatement>({ max: maxStatements });
  return {
    close: () => database.close(),
    prepare(sql) {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = database.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}
