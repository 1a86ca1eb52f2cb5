import { chmodSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/**
 * Makes the state directory private, whatever existed before: the directory 0700 and every file in it
 * 0600 (the database, its WAL, keys, tokens). SQLite gives its WAL and shared-memory files the database
 * file's mode, so a database tightened before it is opened keeps them private too. A directory that is
 * not ours to tighten is refused, naming the problem, rather than used as it is.
 */
export function secureStateDirectory(stateDir: string): void {
  const stats = statSync(stateDir);
  if (!stats.isDirectory()) throw new Error(`the state directory ${stateDir} is not a directory`);
  tighten(stateDir, stats.mode, 0o700);
  for (const entry of readdirSync(stateDir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = join(stateDir, entry.name);
    tighten(file, statSync(file).mode, 0o600);
  }
}

function tighten(path: string, mode: number, wanted: number): void {
  if ((mode & 0o077) === 0) return;
  try {
    chmodSync(path, mode & wanted);
  } catch (error) {
    const octal = (mode & 0o777).toString(8);
    throw new Error(`${path} is readable by other users (mode ${octal}) and cannot be made private: ${(error as Error).message}`);
  }
}
