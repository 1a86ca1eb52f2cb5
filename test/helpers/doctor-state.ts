import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanEnv, runPalyra } from "../integration/support/palyra-process.js";

/** What `palyra doctor --json` prints (the parts the tests read). */
export interface DoctorJson {
  stateDir: string;
  daemon: { running: boolean; pid?: number; grpc?: string };
  ok: boolean;
  checks: { check: string; status: string; summary: string }[];
  findings: { check: string; severity: string; object: string; problem: string; fix: string; repair: string | null }[];
  repairs?: {
    dryRun: boolean;
    planned: { kind: string; description: string; heldBack: string | null }[];
    applied: { kind: string; result: string; ok: boolean }[];
    recoveryId: string | null;
    recoveryFolder: string | null;
  };
}

const roots: string[] = [];

/** A fresh folder holding a state directory `state/` (not created) and nothing else: no ./palyra.toml is found. */
export function doctorWorkspace(): { root: string; stateDir: string } {
  const root = mkdtempSync(join(tmpdir(), "palyra-doctor-"));
  roots.push(root);
  return { root, stateDir: join(root, "state") };
}

export function removeDoctorWorkspaces(): void {
  for (const root of roots.splice(0)) {
    chmodSync(root, 0o700);
    rmSync(root, { recursive: true, force: true });
  }
}

/** Runs the real CLI: `palyra doctor --state-dir DIR …`, binds on port 0 so the ports check never depends on the host. */
export async function doctor(stateDir: string, args: string[], env: Record<string, string> = {}) {
  const result = await runPalyra(["doctor", "--state-dir", stateDir, ...args], {
    cwd: join(stateDir, ".."),
    env: cleanEnv({ PALYRA_GRPC_BIND: "127.0.0.1:0", PALYRA_HTTP_BIND: "127.0.0.1:0", ...env }),
  });
  return { ...result, json: () => JSON.parse(result.stdout) as DoctorJson };
}

/**
 * The state directory as a rollback must bring it back: every top-level file's mode and content, and the
 * folder's mode. daemon.lock (made by the repair's state lock, holds nothing) and recovery/ are left out,
 * and so are the database's bytes (a restored copy holds the same rows, not the same bytes) and its
 * -wal/-shm files (any read-only reader of a WAL database leaves them, empty): tests read its rows instead.
 */
export function stateSnapshot(stateDir: string): Record<string, string> {
  const snapshot: Record<string, string> = { ".": (statSync(stateDir).mode & 0o777).toString(8) };
  for (const name of readdirSync(stateDir).sort()) {
    const path = join(stateDir, name);
    if (name === "daemon.lock" || !statSync(path).isFile()) continue;
    if (name.endsWith("-wal") || name.endsWith("-shm")) continue;
    if (name.startsWith("palyra.sqlite")) {
      snapshot[name] = (statSync(path).mode & 0o777).toString(8);
      continue;
    }
    snapshot[name] = `${(statSync(path).mode & 0o777).toString(8)} ${readFileSync(path).toString("base64")}`;
  }
  return snapshot;
}

/** The manifest of a recovery folder. */
export function readManifest(folder: string): { id: string; steps: { kind: string; entries: { action: string; path: string }[] }[] } {
  return JSON.parse(readFileSync(join(folder, "manifest.json"), "utf8"));
}

/** A pid no process has: above the kernel's pid_max. */
export function deadPid(): number {
  return Number(readFileSync("/proc/sys/kernel/pid_max", "utf8").trim()) + 1;
}
