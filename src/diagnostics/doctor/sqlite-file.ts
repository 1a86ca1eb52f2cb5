import { join } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { load as loadSqliteVec } from "sqlite-vec";
import { withStatementCache } from "../../store/statement-cache.js";
import type { Database } from "../../store/tables.js";

export const databaseFileName = "palyra.sqlite";

export function databaseFile(stateDir: string): string {
  return join(stateDir, databaseFileName);
}

/** The SQLite file opened as the doctor needs it: raw (PRAGMAs) and through kysely (the repositories). */
export interface SqliteFile {
  sqlite: SqliteDatabase.Database;
  db: Kysely<Database>;
  close(): Promise<void>;
}

/**
 * Opens the database without migrating it (the doctor reports pending migrations before applying
 * them). Read-only for a diagnosis: nothing is written, and closing it does not checkpoint the WAL
 * the way a writer's last close would. sqlite-vec is loaded, since the memory tables are its.
 */
export function openSqliteFile(file: string, options: { readonly: boolean }): SqliteFile {
  const sqlite = new SqliteDatabase(file, { readonly: options.readonly, fileMustExist: true });
  if (!options.readonly) {
    sqlite.pragma("busy_timeout = 5000");
    sqlite.pragma("foreign_keys = ON");
  }
  loadSqliteVec(sqlite);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return { sqlite, db, close: () => db.destroy() };
}
