import { statSync } from "node:fs";
import { sql } from "kysely";
import { migrateToLatest, pendingMigrations } from "../../../store/migrate.js";
import type { CheckReport, DiagnoseContext, Finding, RepairAction } from "../doctor-types.js";
import { reportOf } from "../doctor-types.js";
import { databaseFile, type SqliteFile } from "../sqlite-file.js";

/** A WAL above this is checkpointed by --repair: SQLite checkpoints on its own, so one this big means it could not. */
export const walLimitBytes = 64 * 1024 * 1024;

/**
 * The SQLite file: `PRAGMA integrity_check`, every migration applied, the WAL not grown past
 * walLimitBytes. `file` is the database opened read-only, or undefined when there is none yet.
 */
export async function checkSqlite(context: DiagnoseContext, file: SqliteFile | undefined, openError: string | undefined): Promise<CheckReport> {
  const path = databaseFile(context.stateDir);
  if (file === undefined) {
    if (openError === undefined) return reportOf("sqlite", `${path} does not exist yet (the daemon creates it)`, []);
    return reportOf("sqlite", `${path} cannot be opened`, [
      { check: "sqlite", severity: "blocking", object: path, problem: `cannot be opened: ${openError}`, fix: restoreHint(context) },
    ]);
  }
  let problems: string[];
  let pending: string[];
  try {
    problems = (file.sqlite.pragma("integrity_check") as { integrity_check: string }[]).map((row) => row.integrity_check);
    pending = await pendingMigrations(file.db);
  } catch (error) {
    // "file is not a database", "database disk image is malformed": SQLite cannot even check it.
    return reportOf("sqlite", `${path} cannot be read`, [
      { check: "sqlite", severity: "blocking", object: path, problem: `cannot be read: ${(error as Error).message}`, fix: restoreHint(context) },
    ]);
  }
  const findings: Finding[] = [];
  if (problems.join() !== "ok") {
    findings.push({
      check: "sqlite",
      severity: "blocking",
      object: path,
      problem: `integrity_check failed: ${problems.slice(0, 3).join("; ")}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ""}`,
      fix: restoreHint(context),
    });
  }
  if (pending.length > 0) {
    findings.push({
      check: "sqlite",
      severity: "warning",
      object: path,
      problem: `${pending.length} migration(s) not applied: ${pending.join(", ")} (the daemon applies them when it starts)`,
      fix: context.daemon.running ? "restart the daemon" : "palyra doctor --repair",
      repair: applyMigrations(pending),
    });
  }
  const walBytes = sizeOf(`${path}-wal`);
  if (walBytes > walLimitBytes) {
    findings.push({
      check: "sqlite",
      severity: "warning",
      object: `${path}-wal`,
      problem: `the WAL is ${mib(walBytes)} (over ${mib(walLimitBytes)}): a long reader kept SQLite from checkpointing it`,
      fix: context.daemon.running ? "stop the daemon, then palyra doctor --repair" : "palyra doctor --repair",
      repair: checkpointWal(),
    });
  }
  return reportOf("sqlite", `${path}: ${mib(sizeOf(path))}, WAL ${mib(walBytes)}, ${pending.length} migration(s) pending`, findings);
}

function restoreHint(context: DiagnoseContext): string {
  return `stop the daemon and restore ${databaseFile(context.stateDir)} from a backup (palyra doctor --rollback ID restores the copy a repair made)`;
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

function applyMigrations(pending: string[]): RepairAction {
  return {
    kind: "apply_migrations",
    description: `apply ${pending.length} pending migration(s): ${pending.join(", ")}`,
    touchesStore: true,
    apply: async ({ store }) => {
      await migrateToLatest(await store());
      return `applied ${pending.join(", ")}`;
    },
  };
}

function checkpointWal(): RepairAction {
  return {
    kind: "checkpoint_wal",
    description: "checkpoint the WAL into the database and truncate it",
    touchesStore: true,
    apply: async ({ store }) => {
      const result = await sql<{ busy: number; log: number; checkpointed: number }>`PRAGMA wal_checkpoint(TRUNCATE)`.execute(await store());
      const row = result.rows[0];
      if (row !== undefined && row.busy !== 0) throw new Error("the WAL could not be checkpointed: a reader still holds it");
      return `checkpointed ${row?.checkpointed ?? 0} page(s) and truncated the WAL`;
    },
  };
}
