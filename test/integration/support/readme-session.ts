import { spawn } from "node:child_process";
import { once } from "node:events";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CodeBlock, ShellCommand } from "./markdown-examples.js";
import type { PalyraProcess, ReadyLine } from "./palyra-process.js";

// The situation the README's examples run in (see readme-examples.test.ts): where, with which daemon,
// and how one command line is run and reported.

const commandTimeoutMs = 45_000;

export interface Session {
  root: string;
  work: string;
  env: NodeJS.ProcessEnv;
  ready: ReadyLine;
  daemon: PalyraProcess;
}

/** The command with the README's fixed addresses and files replaced by this run's. */
export function localise(text: string, { ready, root }: Session): string {
  const localised = text
    .replaceAll("127.0.0.1:7142", ready.grpc)
    .replaceAll("127.0.0.1:7143", ready.http)
    .replaceAll("/tmp/palyra-test.wav", join(root, "palyra-test.wav"));
  if (/\b714[23]\b/.test(localised)) throw new Error("names port 7142 or 7143 other than as 127.0.0.1:7142 / 127.0.0.1:7143, which the test cannot map");
  return localised;
}

export interface ShellResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs one command line with bash in its own process group, so a timeout ends everything it started. */
export async function runShell(command: string, { work, env }: Session): Promise<ShellResult> {
  const child = spawn("bash", ["-c", command], { cwd: work, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
  const timer = setTimeout(() => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }, commandTimeoutMs);
  const [code, signal] = (await once(child, "close")) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  return { code, signal, stdout: Buffer.concat(stdout).toString("utf8"), stderr: Buffer.concat(stderr).toString("utf8") };
}

export function describeFailure(block: CodeBlock, command: ShellCommand, problem: string, result?: ShellResult): string {
  // The start says what went wrong (bash's "command not found"), the end where a stack trace ended.
  const excerpt = (text: string) => {
    const lines = text.trim().split("\n");
    return lines.length <= 20 ? lines.join("\n") : [...lines.slice(0, 8), "…", ...lines.slice(-8)].join("\n");
  };
  const output = result ? `\nexit: ${result.code ?? result.signal}\nstdout:\n${excerpt(result.stdout)}\nstderr:\n${excerpt(result.stderr)}` : "";
  return `${block.document}:${command.line}: ${problem}\n$ ${command.text}${output}`;
}

/** Writes the shims that stand in for npx and a linked `palyra` (see the header). */
export function writeShims(binDir: string, repoRoot: string): void {
  const script = (body: string) => `#!/bin/sh\n# Written by readme-examples.test.ts.\n${body}\n`;
  const palyra = join(repoRoot, "bin", "palyra.js");
  const tools = join(repoRoot, "node_modules", ".bin");
  writeFileSync(join(binDir, "palyra"), script(`exec node "${palyra}" "$@"`));
  writeFileSync(
    join(binDir, "npx"),
    script(
      [
        'name="$1"; shift',
        `if [ "$name" = palyra ]; then exec node "${palyra}" "$@"; fi`,
        `if [ -x "${tools}/$name" ]; then exec "${tools}/$name" "$@"; fi`,
        'echo "npx (README test stand-in): $name is not a command of this checkout" >&2',
        "exit 127",
      ].join("\n"),
    ),
  );
  chmodSync(join(binDir, "palyra"), 0o755);
  chmodSync(join(binDir, "npx"), 0o755);
}
