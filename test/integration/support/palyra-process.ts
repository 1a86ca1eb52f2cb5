import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";

/** Runs the real `palyra` entry point, exactly as a user would: node bin/palyra.js … */
export const palyraBin = fileURLToPath(new URL("../../../bin/palyra.js", import.meta.url));

/** The test runner's environment without PALYRA_* variables, so only what a test sets applies. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("PALYRA_")));
  return { ...env, ...extra };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Collects a stream's lines and lets a test wait for the first one that matches. */
export class LineCollector {
  readonly lines: string[] = [];
  private readonly chunks: Buffer[] = [];
  private readonly waiters = new Set<() => void>();
  private ended = false;

  constructor(stream: Readable) {
    stream.on("data", (chunk: Buffer) => this.chunks.push(chunk));
    const reader = createInterface({ input: stream });
    reader.on("line", (line) => {
      this.lines.push(line);
      for (const wake of this.waiters) wake();
    });
    reader.on("close", () => {
      this.ended = true;
      for (const wake of this.waiters) wake();
    });
  }

  /** Everything the stream carried so far, byte for byte. */
  get text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }

  /** Resolves with the first line (seen or to come) that matches; rejects if the stream ends first. */
  waitFor(matches: (line: string) => boolean, what: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.lines.find(matches);
        if (found !== undefined) return finish(() => resolve(found));
        if (this.ended) finish(() => reject(new Error(`stream ended without ${what}; lines:\n${this.lines.join("\n")}`)));
      };
      const finish = (settle: () => void) => {
        this.waiters.delete(check);
        settle();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Lines that parse as JSON objects, parsed. */
  json(): Record<string, unknown>[] {
    return this.lines.flatMap((line) => {
      try {
        const value: unknown = JSON.parse(line);
        return typeof value === "object" && value !== null ? [value as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
  }
}

/** A long-lived palyra process (the daemon, or a streaming run) whose output a test follows. */
export class PalyraProcess {
  readonly stdout: LineCollector;
  readonly stderr: LineCollector;
  readonly exited: Promise<Exit>;

  constructor(readonly child: ChildProcess) {
    if (!child.stdout || !child.stderr) throw new Error("spawn palyra with piped stdout and stderr");
    this.stdout = new LineCollector(child.stdout);
    this.stderr = new LineCollector(child.stderr);
    // "close" (not "exit") so that every line of output has been read when this resolves.
    this.exited = once(child, "close").then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
}

/** `input`, when given, is written to the command's stdin, which then closes; otherwise stdin is empty. */
export function spawnPalyra(args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd: string; input?: string }): PalyraProcess {
  const child = spawn(process.execPath, [palyraBin, ...args], {
    cwd: options.cwd,
    env: options.env ?? cleanEnv(),
    stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  if (options.input !== undefined) child.stdin?.end(options.input);
  return new PalyraProcess(child);
}

export interface CliResult extends Exit {
  stdout: string;
  stderr: string;
}

/** Runs one palyra command to completion and returns its exit and output. */
export async function runPalyra(args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd: string; input?: string }): Promise<CliResult> {
  const palyra = spawnPalyra(args, options);
  const exit = await palyra.exited;
  return { ...exit, stdout: palyra.stdout.text, stderr: palyra.stderr.text };
}

export interface ReadyLine {
  grpc: string;
  http: string;
}

/** Starts `palyra daemon` and waits for its "ready" log line; rejects with its stderr if it exits first. */
export async function startDaemon(args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd: string }) {
  const daemon = spawnPalyra(["daemon", ...args], options);
  const readyLine = await daemon.stdout
    .waitFor((line) => line.includes('"msg":"ready"'), 'a "ready" line')
    .catch(async (error: unknown) => {
      const exit = await daemon.exited;
      throw new Error(`the daemon exited (${exit.code ?? exit.signal}) before ready: ${daemon.stderr.lines.join("\n")}`, { cause: error });
    });
  return { daemon, ready: JSON.parse(readyLine) as ReadyLine };
}
