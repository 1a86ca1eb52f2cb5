import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** `<state-dir>/daemon.json`: who holds the state directory, and where it listens once ready. */
export const daemonInfoFileName = "daemon.json";

export interface DaemonInfo {
  pid: number;
  /** "host:port" of the listeners; absent while the daemon is still starting. */
  grpc?: string | undefined;
  http?: string | undefined;
}

export function daemonInfoPath(stateDir: string): string {
  return join(stateDir, daemonInfoFileName);
}

/** Writes daemon.json (mode 0600); only the daemon holding the state directory's lock calls this. */
export function writeDaemonInfo(stateDir: string, info: DaemonInfo): void {
  writeFileSync(daemonInfoPath(stateDir), `${JSON.stringify(info)}\n`, { mode: 0o600 });
}

/** daemon.json as written, or undefined when it is missing or not ours to read; throws on garbage only when asked to. */
export function readDaemonInfo(stateDir: string): DaemonInfo | undefined {
  let text: string;
  try {
    text = readFileSync(daemonInfoPath(stateDir), "utf8");
  } catch {
    return undefined;
  }
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== "object" || parsed === null) throw new Error("not a JSON object");
  const record = parsed as Record<string, unknown>;
  if (typeof record.pid !== "number") throw new Error('has no "pid"');
  return {
    pid: record.pid,
    grpc: typeof record.grpc === "string" && record.grpc !== "" ? record.grpc : undefined,
    http: typeof record.http === "string" && record.http !== "" ? record.http : undefined,
  };
}

/** Removes daemon.json on a clean stop, so nothing points clients at a daemon that is gone. */
export function removeDaemonInfo(stateDir: string): void {
  rmSync(daemonInfoPath(stateDir), { force: true });
}

/** False when pid names no running process; used to call a daemon.json stale. */
export function processIsRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
