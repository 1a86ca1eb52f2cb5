import { existsSync } from "node:fs";
import { join } from "node:path";
import { processIsRunning, readDaemonInfo } from "../../shared/daemon-info.js";
import { lockStateDirectory, StateDirectoryBusyError, type StateLock, stateLockFileName } from "../../store/state-lock.js";
import type { DaemonState } from "./doctor-types.js";

/** What daemon.json says, read without throwing. */
export type DaemonInfoState =
  | { kind: "absent" }
  | { kind: "unreadable"; why: string }
  | { kind: "written"; pid: number; grpc?: string | undefined; http?: string | undefined; pidAlive: boolean };

export function readDaemonInfoState(stateDir: string): DaemonInfoState {
  try {
    const info = readDaemonInfo(stateDir);
    if (info === undefined) return { kind: "absent" };
    return { kind: "written", pid: info.pid, grpc: info.grpc, http: info.http, pidAlive: processIsRunning(info.pid) };
  } catch (error) {
    return { kind: "unreadable", why: (error as Error).message };
  }
}

/**
 * Whether a daemon holds the state directory: the state lock tells (the kernel drops it with the
 * daemon, so it is never stale), daemon.json says where it listens. With `hold`, a free lock is kept
 * for the caller (repairs run with no daemon able to start meanwhile; the directory is created, 0700,
 * if it was not there); otherwise it is let go at once.
 */
export function probeDaemon(stateDir: string, hold: boolean): { daemon: DaemonState; lock: StateLock | undefined } {
  const info = readDaemonInfoState(stateDir);
  // No lock file, no daemon ever ran here; not creating one keeps a diagnosis from writing anything.
  if (!existsSync(join(stateDir, stateLockFileName)) && !hold) return { daemon: { running: false }, lock: undefined };
  let lock: StateLock;
  try {
    lock = lockStateDirectory(stateDir);
  } catch (error) {
    if (!(error instanceof StateDirectoryBusyError)) throw error;
    const written = info.kind === "written" ? info : undefined;
    return { daemon: { running: true, pid: written?.pid, grpc: written?.grpc, http: written?.http }, lock: undefined };
  }
  if (hold) return { daemon: { running: false }, lock };
  lock.release();
  return { daemon: { running: false }, lock: undefined };
}
