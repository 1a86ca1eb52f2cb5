import { closeSync, existsSync, mkdirSync, openSync, statSync } from "node:fs";
import { join } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { processIsRunning, readDaemonInfo } from "../shared/daemon-info.js";

export const stateLockFileName = "daemon.lock";

/** The state directory is held by another daemon; the message names it and says what to do. */
export class StateDirectoryBusyError extends Error {
  override readonly name = "StateDirectoryBusyError";
}

export interface StateLock {
  /** Gives the directory up; the next daemon may take it at once. */
  release(): void;
}

/**
 * Takes the state directory for this daemon alone, before anything in it is read or written: an
 * exclusive SQLite lock on `<state-dir>/daemon.lock`, held by an open transaction for the daemon's
 * life. It is an operating-system file lock, so the kernel drops it when the process dies however it
 * dies: a crashed daemon never leaves a stale lock behind. A second daemon gets SQLITE_BUSY at once
 * and throws StateDirectoryBusyError naming the holder; it has touched nothing but the lock file.
 */
export function lockStateDirectory(stateDir: string): StateLock {
  if (existsSync(stateDir) && !statSync(stateDir).isDirectory()) throw new Error(`the state directory ${stateDir} is not a directory`);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const file = join(stateDir, stateLockFileName);
  // Created 0600 before SQLite opens it (SQLite would use 0644).
  closeSync(openSync(file, "a", 0o600));
  const lock = new SqliteDatabase(file, { timeout: 0 });
  try {
    // Nothing is ever written: the journal stays in memory, and no daemon.lock-journal file appears.
    // (OFF would do too, but better-sqlite3's defensive mode refuses it.)
    lock.pragma("journal_mode = MEMORY");
    lock.pragma("locking_mode = EXCLUSIVE");
    lock.exec("BEGIN EXCLUSIVE");
  } catch (error) {
    lock.close();
    if ((error as { code?: string }).code === "SQLITE_BUSY") throw new StateDirectoryBusyError(busyMessage(stateDir));
    throw error;
  }
  let held = true;
  return {
    release: () => {
      if (!held) return;
      held = false;
      lock.close();
    },
  };
}

function busyMessage(stateDir: string): string {
  const holder = describeHolder(stateDir);
  return `another palyra daemon ${holder} holds the state directory ${stateDir}; stop it first (SIGTERM), or give this daemon its own --state-dir`;
}

function describeHolder(stateDir: string): string {
  let info: ReturnType<typeof readDaemonInfo>;
  try {
    info = readDaemonInfo(stateDir);
  } catch {
    info = undefined;
  }
  if (info === undefined || !processIsRunning(info.pid)) return "(pid unknown: it has not written daemon.json yet)";
  if (info.grpc === undefined) return `(pid ${info.pid}, still starting)`;
  return `(pid ${info.pid}, gRPC ${info.grpc}, HTTP ${info.http ?? "unknown"})`;
}
