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
    reports.push(await checkKeys(setting, file?.db));
    const sqlite = await checkSqlite(context, file, openError);
    reports.push(sqlite, checkDisk(setting), await checkPorts(context));
    reports.push(...(await storeReports(context, file, sqlite)));
  } finally {
    await file?.close();
  }
  return reports;
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
