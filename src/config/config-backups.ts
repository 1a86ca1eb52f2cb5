import { copyFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** How many backups of palyra.toml are kept beside it; older ones are removed when a new one is made. */
export const keptConfigBackups = 5;

const backupPattern = /^(.+)\.bak\.(\d{8}T\d{6}\d{3}Z)(?:-(\d+))?$/;

export interface ConfigBackup {
  path: string;
  /** When it was made (from its name, so copying the files keeps their order). */
  takenAt: Date;
}

/**
 * Copies the config file to `<file>.bak.<UTC time>` beside it (mode kept), keeps the newest
 * `keptConfigBackups`, and returns the copy's path. Writers of palyra.toml call this first
 * (`palyra models set`, `palyra config migrate`), so `palyra doctor --repair` can restore the newest
 * one when the file no longer parses (doctor keeps what it replaces in its recovery folder instead,
 * so a broken file never pushes a good backup out).
 */
export function backupConfigFile(file: string, now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(".", "");
  let target = `${file}.bak.${stamp}`;
  for (let n = 1; existsQuietly(target); n += 1) target = `${file}.bak.${stamp}-${n}`;
  copyFileSync(file, target);
  for (const stale of listConfigBackups(file).slice(keptConfigBackups)) rmSync(stale.path, { force: true });
  return target;
}

/** The backups of a config file, newest first. */
export function listConfigBackups(file: string): ConfigBackup[] {
  const name = basename(file);
  const directory = dirname(file);
  let entries: string[];
  try {
    entries = readdirSync(directory);
  } catch {
    return [];
  }
  const backups: (ConfigBackup & { sequence: number })[] = [];
  for (const entry of entries) {
    const match = backupPattern.exec(entry);
    if (match?.[1] !== name || match[2] === undefined) continue;
    const s = match[2];
    const iso = `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}.${s.slice(15, 18)}Z`;
    backups.push({ path: join(directory, entry), takenAt: new Date(iso), sequence: Number(match[3] ?? 0) });
  }
  backups.sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime() || b.sequence - a.sequence);
  return backups.map(({ path, takenAt }) => ({ path, takenAt }));
}

function existsQuietly(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
