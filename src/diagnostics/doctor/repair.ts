import type { DoctorSetting } from "./doctor-types.js";
import { type CheckReport, type RepairAction, type RepairSession, repairKinds } from "./doctor-types.js";
import { RecoveryRecorder } from "./recovery-store.js";
import { databaseFile, openSqliteFile, type SqliteFile } from "./sqlite-file.js";

/** The repairs the findings ask for, once each, in the order they are applied. */
export function planRepairs(checks: readonly CheckReport[]): RepairAction[] {
  const actions = new Map<string, RepairAction>();
  for (const finding of checks.flatMap((check) => check.findings)) {
    if (finding.repair !== undefined && !actions.has(finding.repair.kind)) actions.set(finding.repair.kind, finding.repair);
  }
  return [...actions.values()].sort((a, b) => repairKinds.indexOf(a.kind) - repairKinds.indexOf(b.kind));
}

export interface AppliedRepair {
  kind: string;
  description: string;
  result: string;
  ok: boolean;
}

export interface RepairRecord {
  recoveryId: string;
  recoveryFolder: string;
  applied: AppliedRepair[];
}

/**
 * Applies the repairs one step at a time, each recorded in a recovery folder before it changes
 * anything; before the first store repair the whole database is copied there, so rollback can put
 * it back. Stops at the first repair that fails (the ones after it may depend on it). The caller
 * holds the state lock: no daemon starts meanwhile.
 */
export async function applyRepairs(setting: DoctorSetting, actions: readonly RepairAction[]): Promise<RepairRecord> {
  const recovery = new RecoveryRecorder(setting.stateDir, new Date(setting.now()));
  const applied: AppliedRepair[] = [];
  let file: SqliteFile | undefined;
  const session: RepairSession = {
    recovery,
    logger: setting.logger,
    now: setting.now,
    store: async () => {
      file ??= openSqliteFile(databaseFile(setting.stateDir), { readonly: false });
      return file.db;
    },
  };
  try {
    if (actions.some((action) => action.touchesStore)) {
      recovery.beginStep("backup_database", "copy the database before any store repair");
      await recovery.backupDatabase(databaseFile(setting.stateDir));
      recovery.endStep(`copied ${databaseFile(setting.stateDir)}`);
    }
    for (const action of actions) {
      recovery.beginStep(action.kind, action.description);
      try {
        const result = await action.apply(session);
        recovery.endStep(result);
        applied.push({ kind: action.kind, description: action.description, result, ok: true });
      } catch (error) {
        const result = `failed: ${(error as Error).message}`;
        recovery.endStep(result);
        applied.push({ kind: action.kind, description: action.description, result, ok: false });
        break;
      }
    }
  } finally {
    await file?.close();
  }
  return { recoveryId: recovery.id, recoveryFolder: recovery.folder, applied };
}
