import { randomBytes } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import SqliteDatabase from "better-sqlite3";

/** `<state-dir>/recovery/`: one folder per `palyra doctor --repair`, with its manifest and copies. */
export const recoveryFolderName = "recovery";
export const manifestFileName = "manifest.json";

/** One thing a repair changed, recorded before the change, and how rollback undoes it. */
export type RecoveryEntry =
  /** The path's permission bits were changed: rollback sets `mode` again. */
  | { action: "mode"; path: string; mode: number }
  /** The file was changed or replaced: `copy` (relative to the recovery folder) holds the original, with its mode. */
  | { action: "file"; path: string; copy: string; mode: number; companions?: string[] }
  /** The file did not exist: rollback removes it. */
  | { action: "absent"; path: string };

export interface RecoveryStep {
  kind: string;
  description: string;
  /** What the step did; "failed: …" when it threw. */
  result?: string;
  entries: RecoveryEntry[];
}

export interface RecoveryManifest {
  id: string;
  createdAt: string;
  stateDir: string;
  steps: RecoveryStep[];
  rolledBackAt?: string;
}

export function recoveryRoot(stateDir: string): string {
  return join(stateDir, recoveryFolderName);
}

/**
 * Records one repair session under `<state-dir>/recovery/<id>/`: each step's original files (copied
 * before they change) and modes, in manifest.json, rewritten after every entry so that a repair that
 * dies half-way still leaves a manifest rollback can use. Folder 0700, files 0600: the copies hold keys.
 */
export class RecoveryRecorder {
  readonly id: string;
  readonly folder: string;
  private readonly manifest: RecoveryManifest;
  private copies = 0;

  constructor(stateDir: string, now: Date) {
    this.id = `${now
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d{3}/, "")}-${randomBytes(3).toString("hex")}`;
    this.folder = join(recoveryRoot(stateDir), this.id);
    mkdirSync(join(this.folder, "files"), { recursive: true, mode: 0o700 });
    chmodSync(recoveryRoot(stateDir), 0o700);
    this.manifest = { id: this.id, createdAt: now.toISOString(), stateDir, steps: [] };
    this.save();
  }

  beginStep(kind: string, description: string): void {
    this.manifest.steps.push({ kind, description, entries: [] });
    this.save();
  }

  endStep(result: string): void {
    const step = this.manifest.steps.at(-1);
    if (step !== undefined) step.result = result;
    this.save();
  }

  /** Remembers a path's mode before it is changed. */
  recordMode(path: string): void {
    this.add({ action: "mode", path, mode: statSync(path).mode & 0o7777 });
  }

  /** Copies a file before it is changed or replaced; a file that does not exist yet is removed on rollback. */
  backupFile(path: string): void {
    if (!existsSync(path)) return this.add({ action: "absent", path });
    const copy = this.nextCopyName(path);
    copyFileSync(path, join(this.folder, copy));
    chmodSync(join(this.folder, copy), 0o600);
    this.add({ action: "file", path, copy, mode: statSync(path).mode & 0o7777 });
  }

  /**
   * Copies a SQLite database through SQLite's online backup (a consistent single file, WAL content
   * included). Its -wal and -shm files are removed when it is restored: they belong to the newer state.
   */
  async backupDatabase(path: string): Promise<void> {
    if (!existsSync(path)) return this.add({ action: "absent", path });
    const copy = this.nextCopyName(path);
    const source = new SqliteDatabase(path, { readonly: true });
    try {
      await source.backup(join(this.folder, copy));
    } finally {
      source.close();
    }
    chmodSync(join(this.folder, copy), 0o600);
    this.add({ action: "file", path, copy, mode: statSync(path).mode & 0o7777, companions: [`${path}-wal`, `${path}-shm`] });
  }

  private nextCopyName(path: string): string {
    this.copies += 1;
    return join("files", `${this.copies}-${basename(path)}`);
  }

  private add(entry: RecoveryEntry): void {
    const step = this.manifest.steps.at(-1);
    if (step === undefined) throw new Error("a recovery entry needs a step");
    step.entries.push(entry);
    this.save();
  }

  private save(): void {
    writeFileSync(join(this.folder, manifestFileName), `${JSON.stringify(this.manifest, null, 2)}\n`, { mode: 0o600 });
  }
}

/** The recovery ids of a state directory, newest first. */
export function listRecoveries(stateDir: string): string[] {
  try {
    return readdirSync(recoveryRoot(stateDir))
      .filter((name) => existsSync(join(recoveryRoot(stateDir), name, manifestFileName)))
      .sort()
      .reverse();
  } catch {
    return [];
  }
}

/** Reads a recovery's manifest; the error names the ids there are. */
export function readRecoveryManifest(stateDir: string, id: string): RecoveryManifest {
  // An id is a folder name, never a path: `--rollback ../x` must not reach outside recovery/.
  const file = join(recoveryRoot(stateDir), id, manifestFileName);
  if (!/^[0-9A-Za-z-]+$/.test(id) || !existsSync(file)) {
    const known = listRecoveries(stateDir);
    throw new Error(`no recovery "${id}" in ${recoveryRoot(stateDir)}; ${known.length === 0 ? "there are none" : `there are: ${known.join(", ")}`}`);
  }
  return JSON.parse(readFileSync(file, "utf8")) as RecoveryManifest;
}

/** True when rolling the recovery back replaces a SQLite database (then the daemon must be down). */
export function restoresDatabase(manifest: RecoveryManifest): boolean {
  return manifest.steps.some((step) => step.entries.some((entry) => entry.action === "file" && entry.companions !== undefined));
}

/**
 * Undoes a recovery's steps, last first and each step's entries last first, so every path ends as it
 * was before the repair began. Returns one line per entry undone; the manifest records when.
 */
export function rollBackRecovery(stateDir: string, manifest: RecoveryManifest, now: Date): string[] {
  const folder = join(recoveryRoot(stateDir), manifest.id);
  const done: string[] = [];
  for (const step of [...manifest.steps].reverse()) {
    for (const entry of [...step.entries].reverse()) {
      if (entry.action === "mode") {
        chmodSync(entry.path, entry.mode);
        done.push(`${entry.path}: mode ${entry.mode.toString(8)} again`);
      } else if (entry.action === "absent") {
        rmSync(entry.path, { force: true });
        done.push(`${entry.path}: removed (it did not exist before)`);
      } else {
        for (const companion of entry.companions ?? []) rmSync(companion, { force: true });
        copyFileSync(join(folder, entry.copy), entry.path);
        chmodSync(entry.path, entry.mode);
        done.push(`${entry.path}: restored from ${entry.copy}`);
      }
    }
  }
  manifest.rolledBackAt = now.toISOString();
  writeFileSync(join(folder, manifestFileName), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  return done;
}
