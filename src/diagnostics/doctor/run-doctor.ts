import { probeDaemon } from "./daemon-probe.js";
import { diagnoseOffline } from "./diagnose.js";
import type { CheckReport, DaemonState, DoctorSetting, RepairAction } from "./doctor-types.js";
import { type RecoveryManifest, readRecoveryManifest, restoresDatabase, rollBackRecovery } from "./recovery-store.js";
import { applyRepairs, planRepairs, type RepairRecord } from "./repair.js";

export type DoctorMode = "diagnose" | "dry_run" | "repair";

/** A repair --repair makes, or holds back (store repairs while the daemon runs) and why. */
export interface PlannedRepair {
  action: RepairAction;
  heldBack?: string | undefined;
}

export interface DoctorOutcome {
  mode: DoctorMode;
  stateDir: string;
  daemon: DaemonState;
  /** The checks; after a repair, as they stand afterwards. */
  checks: CheckReport[];
  /** dry_run and repair: what --repair does (did). */
  plan?: PlannedRepair[];
  /** repair: what was done and where the recovery copy is. */
  record?: RepairRecord;
}

/**
 * palyra doctor without a daemon: diagnose; list the repairs (dry run); or apply them under the state
 * lock, so no daemon starts while they run, and diagnose again to show what is left.
 */
export async function runDoctor(setting: DoctorSetting, mode: DoctorMode): Promise<DoctorOutcome> {
  const { daemon, lock } = probeDaemon(setting.stateDir, mode === "repair");
  try {
    const checks = await diagnoseOffline(setting, daemon);
    if (mode === "diagnose") return { mode, stateDir: setting.stateDir, daemon, checks };
    const plan = planRepairs(checks).map((action): PlannedRepair => ({ action, heldBack: heldBack(action, daemon) }));
    if (mode === "dry_run") return { mode, stateDir: setting.stateDir, daemon, checks, plan };
    const runnable = plan.filter((planned) => planned.heldBack === undefined).map((planned) => planned.action);
    if (runnable.length === 0) return { mode, stateDir: setting.stateDir, daemon, checks, plan };
    const record = await applyRepairs(setting, runnable);
    lock?.release();
    const after = probeDaemon(setting.stateDir, false).daemon;
    return { mode, stateDir: setting.stateDir, daemon: after, checks: await diagnoseOffline(setting, after), plan, record };
  } finally {
    lock?.release();
  }
}

function heldBack(action: RepairAction, daemon: DaemonState): string | undefined {
  if (!action.touchesStore || !daemon.running) return undefined;
  return (
    `the daemon (pid ${daemon.pid ?? "?"}) holds the store: stop it and run palyra doctor --repair again, or let it repair itself ` +
    `(its integrity audit, DiagnosticsService.RunAudit, repairs budget counters and open runs when [automation.self_healing] mode = "auto"; ` +
    "a restart releases reservations, closes open runs and applies migrations)"
  );
}

/**
 * Puts back what a repair changed. A recovery that holds a database copy is only restored with the
 * daemon down (under the state lock), since the daemon would keep writing to the file it has open.
 */
export function rollBack(setting: DoctorSetting, id: string): { manifest: RecoveryManifest; restored: string[] } {
  const manifest = readRecoveryManifest(setting.stateDir, id);
  if (manifest.rolledBackAt !== undefined) throw new Error(`recovery ${id} was rolled back already, at ${manifest.rolledBackAt}`);
  const { daemon, lock } = probeDaemon(setting.stateDir, true);
  try {
    if (daemon.running && restoresDatabase(manifest)) {
      throw new Error(`recovery ${id} restores the database, which the running daemon (pid ${daemon.pid ?? "?"}) has open: stop it first`);
    }
    return { manifest, restored: rollBackRecovery(setting.stateDir, manifest, new Date(setting.now())) };
  } finally {
    lock?.release();
  }
}
