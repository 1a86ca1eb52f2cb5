import type { Kysely } from "kysely";
import type { LoadedConfig } from "../../config/load-config.js";
import type { Logger } from "../../shared/logger.js";
import type { Database } from "../../store/tables.js";
import type { RecoveryRecorder } from "./recovery-store.js";

/** How bad a finding is: blocking ones fail `--strict` (the daemon cannot start, or secrets or data are at risk). */
export type Severity = "info" | "warning" | "blocking";

/** A check's overall status: ok, or its worst finding's severity. */
export type CheckStatus = "ok" | Severity;

/** One thing wrong, and how to fix it. */
export interface Finding {
  /** The check that found it ("state_dir", "config", "sqlite", …). */
  check: string;
  severity: Severity;
  /** What it is about: a path, a policy, a run id. */
  object: string;
  /** What is wrong. */
  problem: string;
  /** The command (or the step) that fixes it. */
  fix: string;
  /** The repair `palyra doctor --repair` would make; undefined when it needs a person. */
  repair?: RepairAction | undefined;
}

/** One check's outcome. */
export interface CheckReport {
  check: string;
  status: CheckStatus;
  /** One line: what was looked at and how it stands. */
  summary: string;
  findings: Finding[];
}

/** The kinds of repair, in the order they are applied. */
export const repairKinds = [
  "fix_modes",
  "create_config",
  "restore_config",
  "remove_daemon_json",
  "apply_migrations",
  "release_reservations",
  "close_open_runs",
  "rebuild_budget_counters",
  "mark_auth_profiles",
  "checkpoint_wal",
] as const;
export type RepairKind = (typeof repairKinds)[number];

/** A repair: what it will do, and doing it with every file it changes backed up first. */
export interface RepairAction {
  kind: RepairKind;
  /** What it will change, for `--repair --dry-run`. */
  description: string;
  /** Changes the SQLite file: only while the daemon is down, after a copy of the database is in the recovery dir. */
  touchesStore: boolean;
  /** Makes the change; returns what it did. */
  apply(session: RepairSession): Promise<string>;
}

/** What a repair works with. */
export interface RepairSession {
  recovery: RecoveryRecorder;
  /** The store, opened after the database was copied into the recovery dir (store repairs only). */
  store(): Promise<Kysely<Database>>;
  logger: Logger;
  now: () => number;
}

/** Where the doctor looks, decided once from flags and environment. */
export interface DoctorSetting {
  stateDir: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** --config / PALYRA_CONFIG, when given. */
  configFlag?: string | undefined;
  /** --grpc-bind / --http-bind, when given. */
  grpcBind?: string | undefined;
  httpBind?: string | undefined;
  now: () => number;
  logger: Logger;
}

/** The daemon of the state directory, as far as the doctor can tell. */
export interface DaemonState {
  running: boolean;
  pid?: number | undefined;
  grpc?: string | undefined;
  http?: string | undefined;
}

/** What the checks share once it is known: the config (when it loads) and the daemon's state. */
export interface DiagnoseContext extends DoctorSetting {
  /** The config file in use, or undefined for the embedded defaults. */
  configFile: string | undefined;
  loadedConfig: LoadedConfig | undefined;
  daemon: DaemonState;
}

/** The report of findings, worst first within each check. */
export function reportOf(check: string, summary: string, findings: Finding[]): CheckReport {
  const order: Severity[] = ["blocking", "warning", "info"];
  const worst = order.find((severity) => findings.some((finding) => finding.severity === severity));
  return { check, status: worst ?? "ok", summary, findings };
}
