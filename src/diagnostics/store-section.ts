import { stat } from "node:fs/promises";
import { migrationStatus } from "../store/migrate.js";
import type { Store } from "../store/open-store.js";

export interface StoreSection {
  dialect: string;
  location: string;
  schemaVersion: number;
  fileBytes: number;
  walBytes: number;
  migrationsApplied: number;
  migrationsPending: string[];
}

/** The database: its dialect and location, how big its file and write-ahead log are, its migrations. */
export async function storeSection(store: Store): Promise<StoreSection> {
  const sqlite = store.dialect === "sqlite";
  const [fileBytes, walBytes, migrations] = await Promise.all([
    sqlite ? sizeOf(store.location) : 0,
    sqlite ? sizeOf(`${store.location}-wal`) : 0,
    migrationStatus(store.db),
  ]);
  return {
    dialect: store.dialect,
    location: store.location,
    schemaVersion: store.schemaVersion,
    fileBytes,
    walBytes,
    migrationsApplied: migrations.applied,
    migrationsPending: migrations.pending,
  };
}

/** A file's size; 0 when it does not exist (no WAL between checkpoints). */
async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}
