import { readFileSync } from "node:fs";

/** Peak resident set size (VmHWM in /proc/<pid>/status) in bytes; undefined where there is no procfs. */
export function readPeakRssBytes(pid: number): number | undefined {
  return readStatusKib(pid, "VmHWM");
}

/** Current resident set size (VmRSS) in bytes. */
export function readRssBytes(pid: number): number | undefined {
  return readStatusKib(pid, "VmRSS");
}

function readStatusKib(pid: number, field: string): number | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m").exec(status);
  return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
}
