import { existsSync, statfsSync } from "node:fs";
import { dirname } from "node:path";
import type { CheckReport, DoctorSetting, Finding } from "../doctor-types.js";
import { reportOf } from "../doctor-types.js";

/** Below this SQLite cannot be trusted to finish a checkpoint or a migration; below the warning, soon. */
export const blockingFreeBytes = 64 * 1024 * 1024;
export const warningFreeBytes = 512 * 1024 * 1024;

/** Free space on the state directory's file system (its nearest existing parent before the first start). */
export function checkDisk(setting: DoctorSetting): CheckReport {
  let folder = setting.stateDir;
  while (!existsSync(folder) && dirname(folder) !== folder) folder = dirname(folder);
  const stats = statfsSync(folder);
  const free = Number(stats.bavail) * Number(stats.bsize);
  const findings: Finding[] = [];
  if (free < warningFreeBytes) {
    findings.push({
      check: "disk",
      severity: free < blockingFreeBytes ? "blocking" : "warning",
      object: folder,
      problem: `only ${mib(free)} free on the file system of ${folder}: the database, its WAL and the recovery copies need room`,
      fix: `free space on that file system (df -h ${folder}), or move the state directory (--state-dir)`,
    });
  }
  return reportOf("disk", `${mib(free)} free under ${folder}`, findings);
}

function mib(bytes: number): string {
  return `${Math.floor(bytes / (1024 * 1024))} MiB`;
}
