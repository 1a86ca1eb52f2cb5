import { type ChildProcess, spawn } from "node:child_process";
import { type FSWatcher, mkdtempSync, readFileSync, rmSync, watch, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { readPeakRssBytes, readRssBytes } from "./proc.js";

/** The repository root: bench/ sits directly under it. */
export const repoRoot = fileURLToPath(new URL("..", import.meta.url));

const startupDeadlineMs = 60_000;
const stopDeadlineMs = 15_000;

export interface DaemonOptions {
  adminToken: string;
  logLevel: string;
  /** palyra.toml text: written to <state-dir>/palyra.toml and passed with --config. */
  configToml?: string;
  /** Node flags before the script (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** An existing state directory to start in, kept at stop; by default a fresh one, removed at stop. */
  stateDir?: string;
}

/** How the harness learnt that the daemon was listening. */
export type ReadySignal = "stdout ready line" | "daemon.json";

export interface DaemonExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface DaemonProcess {
  pid: number;
  /** "host:port" of the gRPC listener. */
  grpc: string;
  /** "host:port" of the HTTP listener. */
  http: string;
  stateDir: string;
  readySignal: ReadySignal;
  /** Milliseconds from spawning the process to learning that it was ready. */
  readyMs: number;
  /** Whether the daemon printed its `"msg":"ready"` line on stdout (checked again at stop). */
  readyLineSeen(): boolean;
  /** Number of stdout log lines per pino level name (warn, error, fatal, …). */
  logCounts(): Record<string, number>;
  /** The last stdout/stderr lines, for error messages. */
  recentOutput(): string;
  /** VmHWM of the daemon process, while it is still running. */
  peakRssBytes(): number | undefined;
  /** VmRSS of the daemon process, while it is still running. */
  rssBytes(): number | undefined;
  /** SIGTERM, then wait for the exit (SIGKILL after a deadline). Removes the state directory. */
  stop(): Promise<DaemonExit>;
}

export class DaemonStartError extends Error {}

const levelNames: Record<number, string> = { 10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };

/**
 * Starts `node bin/palyra.js daemon` on loopback port 0 with a fresh state directory or the given one (and, when
 * given, the config written into it and passed with --config) and resolves
 * once it is listening: on its `"msg":"ready"` stdout line, or on `<state-dir>/daemon.json` (which
 * the daemon writes with the same addresses just before logging that line), whichever comes first.
 */
export async function startDaemon(options: DaemonOptions): Promise<DaemonProcess> {
  const ownStateDir = options.stateDir === undefined;
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), "palyra-bench-"));
  const removeStateDir = () => {
    if (ownStateDir) rmSync(stateDir, { recursive: true, force: true });
  };
  // Hermetic: no PALYRA_* setting of the caller's shell leaks in, and the only palyra.toml read is
  // the one passed with --config (the cwd, the fresh state directory, holds no other).
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith("PALYRA")) env[name] = value;
  env.PALYRA_ADMIN_TOKEN = options.adminToken;
  env.PALYRA__DAEMON__LOG_LEVEL = options.logLevel;

  const args = [join(repoRoot, "bin", "palyra.js"), "daemon", "--state-dir", stateDir, "--grpc-bind", "127.0.0.1:0", "--http-bind", "127.0.0.1:0"];
  if (options.configToml !== undefined) {
    const configPath = join(stateDir, "palyra.toml");
    writeFileSync(configPath, options.configToml, { mode: 0o600 });
    args.push("--config", configPath);
  }

  // A daemon.json left behind would read as this start's readiness.
  if (!ownStateDir) rmSync(join(stateDir, "daemon.json"), { force: true });
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...args], { cwd: stateDir, env, stdio: ["ignore", "pipe", "pipe"] });
  const pid = child.pid;
  if (pid === undefined) {
    removeStateDir();
    throw new DaemonStartError("could not spawn node bin/palyra.js daemon");
  }

  const output = new OutputTail(40);
  const counts: Record<string, number> = {};
  let readyLine = false;
  let resolveReady: (addresses: { grpc: string; http: string; signal: ReadySignal }) => void = () => {};
  const ready = new Promise<{ grpc: string; http: string; signal: ReadySignal }>((resolve) => (resolveReady = resolve));

  // stdout must be drained for the whole run: the daemon logs with synchronous writes to fd 1.
  createInterface({ input: child.stdout }).on("line", (line) => {
    output.push(`stdout: ${line}`);
    const entry = parseJsonObject(line);
    if (entry === undefined) return;
    const level = typeof entry.level === "number" ? (levelNames[entry.level] ?? String(entry.level)) : String(entry.level);
    counts[level] = (counts[level] ?? 0) + 1;
    if (entry.msg === "ready" && typeof entry.grpc === "string" && typeof entry.http === "string") {
      readyLine = true;
      resolveReady({ grpc: entry.grpc, http: entry.http, signal: "stdout ready line" });
    }
  });
  createInterface({ input: child.stderr }).on("line", (line) => output.push(`stderr: ${line}`));

  const exited = new Promise<DaemonExit>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const watcher = watchDaemonInfo(stateDir, (info) => resolveReady({ ...info, signal: "daemon.json" }));

  let deadline: NodeJS.Timeout | undefined;
  const failure = new Promise<never>((_, reject) => {
    child.once("error", (error) => reject(new DaemonStartError(`could not run the daemon: ${error.message}`)));
    void exited.then((exit) => reject(new DaemonStartError(`the daemon exited before it was ready (${describeExit(exit)})\n${output.text()}`)));
    deadline = setTimeout(
      () => reject(new DaemonStartError(`the daemon was not ready within ${startupDeadlineMs / 1000} s\n${output.text()}`)),
      startupDeadlineMs,
    );
  });

  let addresses: { grpc: string; http: string; signal: ReadySignal };
  try {
    addresses = await Promise.race([ready, failure]);
  } catch (error) {
    watcher?.close();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
    removeStateDir();
    throw error;
  } finally {
    clearTimeout(deadline);
  }
  const readyMs = performance.now() - spawnedAt;
  watcher?.close();
  failure.catch(() => {}); // From here on an exit is reported by stop(), not as a start failure.

  let stopping: Promise<DaemonExit> | undefined;
  return {
    pid,
    grpc: addresses.grpc,
    http: addresses.http,
    stateDir,
    readySignal: addresses.signal,
    readyMs,
    readyLineSeen: () => readyLine,
    logCounts: () => ({ ...counts }),
    recentOutput: () => output.text(),
    peakRssBytes: () => readPeakRssBytes(pid),
    rssBytes: () => readRssBytes(pid),
    stop: () => (stopping ??= stopChild(child, exited).finally(removeStateDir)),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<DaemonExit>): Promise<DaemonExit> {
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<DaemonExit>((resolve) => {
    timer = setTimeout(() => {
      child.kill("SIGKILL");
      void exited.then((exit) => resolve({ ...exit, code: exit.code ?? -1 }));
    }, stopDeadlineMs);
  });
  try {
    return await Promise.race([exited, killed]);
  } finally {
    clearTimeout(timer);
  }
}

/** Calls back with the addresses in <state-dir>/daemon.json once it exists and parses. */
function watchDaemonInfo(stateDir: string, onInfo: (info: { grpc: string; http: string }) => void): FSWatcher | undefined {
  const path = join(stateDir, "daemon.json");
  const check = () => {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch {
      return; // Not written yet.
    }
    const info = parseJsonObject(text.trim());
    if (info !== undefined && typeof info.grpc === "string" && typeof info.http === "string") onInfo({ grpc: info.grpc, http: info.http });
  };
  try {
    const watcher = watch(stateDir, (_event, filename) => {
      if (filename === null || filename === "daemon.json") check();
    });
    check();
    return watcher;
  } catch {
    return undefined; // No fs.watch on this platform: the stdout line alone decides.
  }
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  if (!text.startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function describeExit(exit: DaemonExit): string {
  return exit.signal !== null ? `killed by ${exit.signal}` : `exit code ${String(exit.code)}`;
}

/** The last lines a child wrote, for error messages. */
class OutputTail {
  private readonly lines: string[] = [];
  constructor(private readonly keep: number) {}
  push(line: string): void {
    this.lines.push(line.length > 2000 ? `${line.slice(0, 2000)}…` : line);
    if (this.lines.length > this.keep) this.lines.shift();
  }
  text(): string {
    return this.lines.length === 0 ? "(the daemon wrote nothing to stdout or stderr)" : this.lines.map((line) => `  ${line}`).join("\n");
  }
}
