import type { CheckReport } from "../diagnostics/doctor/doctor-types.js";
import type { RecoveryManifest } from "../diagnostics/doctor/recovery-store.js";
import type { DoctorOutcome } from "../diagnostics/doctor/run-doctor.js";
import { printJson, printLine } from "./output.js";

const statusLabel: Record<CheckReport["status"], string> = { ok: "ok   ", info: "info ", warning: "WARN ", blocking: "BLOCK" };

/** The doctor's report: one line per check, each finding with its fix, then the repairs planned or made. */
export function printDoctorOutcome(outcome: DoctorOutcome, json: boolean): void {
  if (json) return printJson(doctorJson(outcome));
  const { daemon } = outcome;
  printLine(`state directory ${outcome.stateDir}; daemon ${daemon.running ? `running (pid ${daemon.pid ?? "?"})` : "not running"}`);
  for (const check of outcome.checks) {
    printLine(`${statusLabel[check.status]} ${check.check}: ${check.summary}`);
    for (const finding of check.findings) {
      printLine(`      - ${finding.object}: ${finding.problem}`);
      printLine(`        fix: ${finding.fix}`);
    }
  }
  if (outcome.plan !== undefined) {
    const title = outcome.mode === "dry_run" ? "repairs --repair would make (nothing was changed):" : "repairs:";
    printLine(outcome.plan.length === 0 ? "nothing to repair" : title);
    for (const planned of outcome.plan) {
      const applied = outcome.record?.applied.find((done) => done.kind === planned.action.kind);
      const state =
        planned.heldBack !== undefined ? `held back: ${planned.heldBack}` : applied === undefined ? (outcome.record ? "not run" : "") : applied.result;
      printLine(`  ${planned.action.kind}: ${planned.action.description}${state === "" ? "" : ` -> ${state}`}`);
    }
  }
  if (outcome.record !== undefined) {
    printLine(
      `backed up in ${outcome.record.recoveryFolder}; undo with: palyra doctor --rollback ${outcome.record.recoveryId} --state-dir ${outcome.stateDir}`,
    );
  }
  const counts = ["blocking", "warning", "info"].map(
    (severity) => `${outcome.checks.flatMap((check) => check.findings).filter((f) => f.severity === severity).length} ${severity}`,
  );
  printLine(`${counts.join(", ")}`);
}

/** The --json shape: checks, findings (each with its fix and repair kind), and repairs when asked for. */
export function doctorJson(outcome: DoctorOutcome): unknown {
  const findings = outcome.checks.flatMap((check) => check.findings);
  return {
    stateDir: outcome.stateDir,
    daemon: outcome.daemon,
    ok: !outcome.checks.some((check) => check.status === "blocking"),
    checks: outcome.checks.map(({ check, status, summary }) => ({ check, status, summary })),
    findings: findings.map(({ check, severity, object, problem, fix, repair }) => ({ check, severity, object, problem, fix, repair: repair?.kind ?? null })),
    ...(outcome.plan !== undefined && {
      repairs: {
        dryRun: outcome.mode === "dry_run",
        planned: outcome.plan.map(({ action, heldBack }) => ({ kind: action.kind, description: action.description, heldBack: heldBack ?? null })),
        applied: outcome.record?.applied ?? [],
        recoveryId: outcome.record?.recoveryId ?? null,
        recoveryFolder: outcome.record?.recoveryFolder ?? null,
      },
    }),
  };
}

export function printRollback(result: { manifest: RecoveryManifest; restored: string[] }, json: boolean): void {
  if (json) return printJson({ rolledBack: result.manifest.id, restored: result.restored });
  for (const line of result.restored) printLine(line);
  printLine(`rolled back ${result.manifest.id} (${result.manifest.steps.map((step) => step.kind).join(", ")})`);
}
