import { readdirSync, type Stats, statSync } from "node:fs";
import { join } from "node:path";
import { secureStateDirectory } from "../../../store/state-directory.js";
import type { CheckReport, DoctorSetting, Finding, RepairAction } from "../doctor-types.js";
import { reportOf } from "../doctor-types.js";

/**
 * The state directory and every file in it (database, WAL, vault.key, admin-token, daemon.json, …):
 * owned by the user the daemon runs as, the directory 0700 and the files 0600, since they hold keys,
 * tokens and every prompt. The daemon tightens them at start-up, but until then they stay readable.
 */
export function checkStateDirectory(setting: DoctorSetting): CheckReport {
  const { stateDir } = setting;
  let stats: Stats;
  try {
    stats = statSync(stateDir);
  } catch {
    return reportOf("state_dir", `${stateDir} does not exist yet`, [
      {
        check: "state_dir",
        severity: "info",
        object: stateDir,
        problem: "the state directory does not exist: the daemon creates it (0700) at its first start",
        fix: `palyra daemon --state-dir ${stateDir}`,
      },
    ]);
  }
  if (!stats.isDirectory()) {
    return reportOf("state_dir", `${stateDir} is not a directory`, [
      { check: "state_dir", severity: "blocking", object: stateDir, problem: "the state directory is not a directory", fix: `mv ${stateDir} ${stateDir}.old` },
    ]);
  }
  const uid = process.getuid?.();
  const paths: [string, Stats, number][] = [[stateDir, stats, 0o700]];
  for (const entry of readdirSync(stateDir, { withFileTypes: true })) {
    if (entry.isFile()) paths.push([join(stateDir, entry.name), statSync(join(stateDir, entry.name)), 0o600]);
  }
  const findings: Finding[] = [];
  const loose: string[] = [];
  for (const [path, pathStats, wanted] of paths) {
    if (uid !== undefined && pathStats.uid !== uid) {
      findings.push({
        check: "state_dir",
        severity: "blocking",
        object: path,
        problem: `owned by uid ${pathStats.uid}, not by uid ${uid} the daemon runs as`,
        fix: `sudo chown -R ${uid} ${stateDir}`,
      });
    }
    if ((pathStats.mode & 0o077) !== 0) loose.push(path);
    const mode = (pathStats.mode & 0o777).toString(8);
    if ((pathStats.mode & 0o077) !== 0) {
      findings.push({
        check: "state_dir",
        severity: "blocking",
        object: path,
        problem: `mode ${mode}: readable by other users (it should be ${wanted.toString(8)})`,
        fix: "palyra doctor --repair",
      });
    }
  }
  const repair =
    loose.length > 0
      ? fixModes(
          stateDir,
          paths.map(([path]) => path),
        )
      : undefined;
  for (const finding of findings) if (finding.fix === "palyra doctor --repair") finding.repair = repair;
  return reportOf("state_dir", `${stateDir} and ${paths.length - 1} file(s) in it`, findings);
}

/** One repair for every loose mode: the daemon's own tightening, with each path's mode recorded first. */
function fixModes(stateDir: string, paths: string[]): RepairAction {
  return {
    kind: "fix_modes",
    description: `make ${stateDir} 0700 and every file in it 0600`,
    touchesStore: false,
    apply: async ({ recovery }) => {
      for (const path of paths) recovery.recordMode(path);
      secureStateDirectory(stateDir);
      return `made ${stateDir} 0700 and its ${paths.length - 1} file(s) 0600`;
    },
  };
}
