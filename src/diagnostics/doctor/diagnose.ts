import { existsSync } from "node:fs";
import { checkConfig } from "./checks/config-check.js";
import { checkDaemonInfo } from "./checks/daemon-info-check.js";
import { checkDisk } from "./checks/disk-check.js";
import { checkPorts } from "./checks/port-check.js";
import { checkSqlite } from "./checks/sqlite-check.js";
import { checkStateDirectory } from "./checks/state-dir-check.js";
import { checkKeys } from "./checks/vault-key-check.js";
import type { CheckReport, DaemonState, DiagnoseContext, DoctorSetting } from "./doctor-types.js";
import { reportOf } from "./doctor-types.js";
import { databaseFile, openSqliteFile, type SqliteFile } from "./sqlite-file.js";

/** Every check that needs no daemon, in the order a person would look; the database is only read. */
export async function diagnoseOffline(setting: DoctorSetting, daemon: DaemonState): Promise<CheckReport[]> {
  const config = checkConfig(setting);
  const context: DiagnoseContext = { ...setting, configFile: config.file, loadedConfig: config.loaded, daemon };
  const reports: CheckReport[] = [config.report, checkStateDirectory(setting), checkDaemonInfo(context)];
  const { file, openError } = openDatabase(setting.stateDir);
  try {
    reports.push(await guarded("keys", () => checkKeys(setting, file?.db)));
    const sqlite = await guarded("sqlite", () => checkSqlite(context, file, openError));
    reports.push(sqlite, await guarded("disk", async () => checkDisk(setting)), await guarded("ports", () => checkPorts(context)));
    const store = await storeReports(context, file, sqlite).catch((error: unknown) => [failedCheck("store", error)]);
    reports.push(...store);
  } finally {
    await file?.close();
  }
  return reports;
}

/**
 * A check that throws (a damaged file SQLite refuses mid-read, a file system error) is a blocking
 * finding of its own, not the end of the diagnosis: the other checks still run.
 */
async function guarded(check: string, run: () => Promise<CheckReport>): Promise<CheckReport> {
  try {
    return await run();
  } catch (error) {
    return failedCheck(check, error);
  }
}

function failedCheck(check: string, error: unknown): CheckReport {
  const message = error instanceof Error ? error.message : String(error);
  return reportOf(check, "the check could not finish", [
    {
      check,
      severity: "blocking",
      object: check,
      problem: `the check could not finish: ${message}`,
      fix: "fix what the message names, then run palyra doctor again",
    },
  ]);
}

function openDatabase(stateDir: string): { file?: SqliteFile; openError?: string } {
  if (!existsSync(databaseFile(stateDir))) return {};
  try {
    return { file: openSqliteFile(databaseFile(stateDir), { readonly: true }) };
  } catch (error) {
    return { openError: (error as Error).message };
  }
}

/** The store's bookkeeping, judged only when the daemon is down (up, its RunAudit judges it) and the file is sound. */
async function storeReports(context: DiagnoseContext, file: SqliteFile | undefined, sqlite: CheckReport): Promise<CheckReport[]> {
  const skipped = (why: string) => [reportOf("store", `bookkeeping not checked offline: ${why}`, [])];
  if (context.daemon.running) return skipped("the daemon is running (its audit is below)");
  if (file === undefined) return skipped("there is no database");
  if (sqlite.status !== "ok") return skipped("the database has findings of its own");
  if (context.loadedConfig === undefined) return skipped("the config does not load (budgets and providers come from it)");
  // Imported only here: the audit, budgets and pricing modules cost a diagnosis without a database its start-up time.
  const { checkStoreIntegrity } = await import("./checks/store-integrity-check.js");
  return checkStoreIntegrity(file.db, { config: context.loadedConfig.config, now: context.now, logger: context.logger });
}
