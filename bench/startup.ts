// Start-up and CLI latency, as a user meets them: `palyra daemon` from spawn to ready, and the wall
// time of `palyra models list` against a running daemon, each the median of a few runs.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { adminToken, BenchError } from "./bench-config.js";
import { type DaemonProcess, describeExit, repoRoot, startDaemon } from "./daemon-process.js";
import { percentile, round } from "./stats.js";

export interface TimedRuns {
  /** Milliseconds of each timed run, in order. */
  samplesMs: number[];
  medianMs: number;
}

function timed(samplesMs: number[]): TimedRuns {
  const sorted = Float64Array.from(samplesMs).sort();
  return { samplesMs: samplesMs.map((value) => round(value, 1)), medianMs: round(percentile(sorted, 50), 1) };
}

/**
 * Starts the daemon `count` times in one state directory, each from spawn to its ready signal, then
 * stops it. With `firstStartUntimed`, one start before them creates the state directory (database,
 * keys), as a user's first start does once, so the timed ones are the everyday restart.
 */
export async function measureStartups(configToml: string, count: number, firstStartUntimed: boolean, progress: (message: string) => void): Promise<TimedRuns> {
  const stateDir = mkdtempSync(join(tmpdir(), "palyra-bench-startup-"));
  const samplesMs: number[] = [];
  try {
    for (let run = firstStartUntimed ? 0 : 1; run <= count; run++) {
      progress(run === 0 ? "start-up: a first start creates the state directory (not timed)" : `start-up: start ${run} of ${count}`);
      const daemon = await startDaemon({ adminToken, logLevel: "warn", configToml, stateDir });
      if (run > 0) samplesMs.push(daemon.readyMs);
      const exit = await daemon.stop();
      if (exit.code !== 0) throw new BenchError(`the daemon of start-up run ${run} did not stop cleanly (${describeExit(exit)})\n${daemon.recentOutput()}`);
    }
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
  return timed(samplesMs);
}

/** Runs `node bin/palyra.js models list` against the daemon `count` times; each must list `expectModel`. */
export async function measureCli(daemon: DaemonProcess, count: number, expectModel: string, progress: (message: string) => void): Promise<TimedRuns> {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith("PALYRA")) env[name] = value;
  env.PALYRA_STATE_ROOT = daemon.stateDir;
  env.PALYRA_ADMIN_TOKEN = adminToken;
  const samplesMs: number[] = [];
  for (let run = 1; run <= count; run++) {
    progress(`CLI: palyra models list, run ${run} of ${count}`);
    const started = performance.now();
    const child = spawn(process.execPath, [join(repoRoot, "bin", "palyra.js"), "models", "list"], {
      cwd: daemon.stateDir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const output: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => output.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => output.push(chunk));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", resolve);
    });
    samplesMs.push(performance.now() - started);
    const text = Buffer.concat(output).toString("utf8");
    if (code !== 0 || !text.includes(expectModel)) throw new BenchError(`palyra models list failed (exit ${String(code)}):\n${text.slice(0, 1000)}`);
  }
  return timed(samplesMs);
}
