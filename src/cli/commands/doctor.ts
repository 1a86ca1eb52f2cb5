import type { Command } from "commander";
import type { DoctorSetting } from "../../diagnostics/doctor/doctor-types.js";
import type { DoctorMode } from "../../diagnostics/doctor/run-doctor.js";
import { CliError, exitCodes } from "../cli-error.js";
import { positiveInteger } from "../client-flags.js";
import { discoverDaemon, resolveStateDir } from "../daemon-connection.js";
import { printDoctorOutcome, printRollback } from "../doctor-output.js";
import { defaultTimeoutMs } from "../grpc-clients.js";

interface DoctorFlags {
  stateDir?: string;
  config?: string;
  grpcBind?: string;
  httpBind?: string;
  addr?: string;
  timeoutMs?: number;
  json?: boolean;
  repair?: boolean;
  dryRun?: boolean;
  rollback?: string;
  strict?: boolean;
}

/**
 * palyra doctor: checks what a daemon needs (config, state directory and its modes, keys, the SQLite
 * file, disk, ports) with or without one running, then the running daemon's side over its RPCs.
 * `--repair` fixes what it safely can, each change backed up under <state-dir>/recovery/<id>/;
 * `--rollback <id>` puts it back. The work is in diagnostics/doctor/; this file parses and prints.
 */
export function registerDoctorCommand(doctor: Command): void {
  doctor
    .option("--state-dir <dir>", "state directory (default: PALYRA_STATE_ROOT, else the nearest ./.palyra)")
    .option("--config <path>", "palyra.toml to check (default: PALYRA_CONFIG, else ./palyra.toml, else <state-dir>/palyra.toml)")
    .option("--grpc-bind <host:port>", "the gRPC address the daemon would listen on (default: as the daemon picks it)")
    .option("--http-bind <host:port>", "the HTTP address the daemon would listen on (default: as the daemon picks it)")
    .option("--addr <host:port>", "the running daemon's gRPC address (default: <state-dir>/daemon.json)")
    .option("--timeout-ms <ms>", `deadline for each call to the daemon (default: ${defaultTimeoutMs})`, positiveInteger)
    .option("--repair", "fix what can be fixed safely, backing each change up under <state-dir>/recovery/<id>/")
    .option("--dry-run", "with --repair: list the repairs, change nothing")
    .option("--rollback <id>", "undo the repairs recorded in <state-dir>/recovery/<id>/")
    .option("--strict", "exit 1 when a blocking check fails")
    .option("--json", "print JSON instead of text")
    .action(runDoctorCommand);
}

async function runDoctorCommand(flags: DoctorFlags): Promise<void> {
  if (flags.dryRun && !flags.repair) throw new CliError("--dry-run goes with --repair: palyra doctor --repair --dry-run");
  if (flags.rollback !== undefined && flags.repair) throw new CliError("--rollback and --repair are separate runs");
  // Loaded here: the checks bring in the store, the vault and the audit, which other commands never need.
  const { runDoctor, rollBack } = await import("../../diagnostics/doctor/run-doctor.js");
  const { pino } = await import("pino");
  const setting: DoctorSetting = {
    stateDir: resolveStateDir(flags.stateDir, process.env),
    env: process.env,
    cwd: process.cwd(),
    configFlag: flags.config,
    grpcBind: flags.grpcBind,
    httpBind: flags.httpBind,
    now: Date.now,
    logger: pino({ level: "silent" }),
  };
  if (flags.rollback !== undefined) {
    let result: ReturnType<typeof rollBack>;
    try {
      result = rollBack(setting, flags.rollback);
    } catch (error) {
      throw new CliError((error as Error).message);
    }
    return printRollback(result, flags.json === true);
  }
  const mode: DoctorMode = flags.repair ? (flags.dryRun ? "dry_run" : "repair") : "diagnose";
  const outcome = await runDoctor(setting, mode);
  if (outcome.daemon.running) {
    const { liveChecks } = await import("../doctor-live-checks.js");
    if (outcome.daemon.grpc === undefined && flags.addr === undefined) {
      outcome.checks.push({ check: "health", status: "info", summary: "the daemon is still starting", findings: [] });
    } else {
      const connection = discoverDaemon({ addr: flags.addr, stateDir: setting.stateDir }, process.env);
      outcome.checks.push(...(await liveChecks(connection, flags.timeoutMs ?? defaultTimeoutMs)));
    }
  }
  const blocking = outcome.checks.some((check) => check.status === "blocking");
  const failedRepair = outcome.record?.applied.some((applied) => !applied.ok) ?? false;
  if ((flags.strict && blocking) || failedRepair) process.exitCode = exitCodes.failure;
  printDoctorOutcome(outcome, flags.json === true);
}
