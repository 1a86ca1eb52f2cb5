import { rmSync } from "node:fs";
import { daemonInfoPath } from "../../../shared/daemon-info.js";
import { readDaemonInfoState } from "../daemon-probe.js";
import type { CheckReport, DiagnoseContext, RepairAction } from "../doctor-types.js";
import { reportOf } from "../doctor-types.js";

/**
 * daemon.json must name the daemon that holds the state directory, or not exist: a stale one (left by
 * a daemon that was killed) points clients at an address nothing, or something else, listens on.
 */
export function checkDaemonInfo(context: DiagnoseContext): CheckReport {
  const file = daemonInfoPath(context.stateDir);
  const info = readDaemonInfoState(context.stateDir);
  if (context.daemon.running) return reportOf("daemon", `running (pid ${context.daemon.pid ?? "?"}, gRPC ${context.daemon.grpc ?? "not ready"})`, []);
  if (info.kind === "absent") return reportOf("daemon", "not running", []);
  const why =
    info.kind === "unreadable"
      ? `it is not a daemon.json the daemon wrote (${info.why})`
      : `it names pid ${info.pid}, which ${info.pidAlive ? "is some other process: no daemon holds the state lock" : "is not running"}`;
  return reportOf("daemon", "not running; daemon.json is stale", [
    {
      check: "daemon",
      severity: "warning",
      object: file,
      problem: `${file} is stale: ${why}; clients would be sent to ${info.kind === "written" ? (info.grpc ?? "no address") : "nowhere"}`,
      fix: "palyra doctor --repair",
      repair: removeDaemonInfo(file),
    },
  ]);
}

function removeDaemonInfo(file: string): RepairAction {
  return {
    kind: "remove_daemon_json",
    description: `remove the stale ${file}`,
    touchesStore: false,
    apply: async ({ recovery }) => {
      recovery.backupFile(file);
      rmSync(file, { force: true });
      return `removed ${file}`;
    },
  };
}
