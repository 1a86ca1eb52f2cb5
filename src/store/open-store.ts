import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { load as loadSqliteVec } from "sqlite-vec";
import { migrateToLatest } from "./migrate.js";
import { withStatementCache } from "./statement-cache.js";
import type { Database } from "./tables.js";

export interface Store {
  db: Kysely<Database>;
  dialect: "sqlite" | "postgres";
  /** Where the data lives, without credentials. */
  location: string;
  schemaVersion: number;
  close(): Promise<void>;
}

/** Opens (creating if needed) the SQLite database file and migrates it. */
export async function openSqliteStore(file: string): Promise<Store> {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  // Created 0600 before SQLite opens it: SQLite would use 0644, and gives its WAL files the database's mode.
  closeSync(openSync(file, "a", 0o600));
  const sqlite = new SqliteDatabase(file);
  // WAL lets readers run beside the single writer; NORMAL sync is durable across process crashes.
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("foreign_keys = ON");
  // sqlite-vec (its binary ships in its npm package): memory search scores vectors inside SQLite.
  loadSqliteVec(sqlite);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  const schemaVersion = await migrateToLatest(db);
  return {
    db,
    dialect: "sqlite",
    location: file,
    schemaVersion,
    close: () => db.destroy(),
  };
}
