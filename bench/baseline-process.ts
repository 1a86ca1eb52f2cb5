import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { CapturedResponse } from "./capture.js";
import { repoRoot } from "./daemon-process.js";
import { readPeakRssBytes } from "./proc.js";

/** What the harness sends the baseline process: the two responses to replay. */
export interface BaselineSetup {
  type: "setup";
  json: CapturedResponse;
  sse: CapturedResponse;
}

/** What the baseline process answers once it listens. */
export interface BaselineReply {
  type: "listening";
  port: number;
}

export interface BaselineProcess {
  pid: number;
  port: number;
  peakRssBytes(): number | undefined;
  stop(): Promise<void>;
}

const startupDeadlineMs = 30_000;

/** Forks bench/baseline-server.ts (through tsx) and resolves once it listens on 127.0.0.1. */
export async function startBaseline(json: CapturedResponse, sse: CapturedResponse): Promise<BaselineProcess> {
  const child = fork(fileURLToPath(new URL("./baseline-server.ts", import.meta.url)), [], {
    cwd: repoRoot,
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let timer: NodeJS.Timeout | undefined;
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once("message", (message: BaselineReply) => resolve(message.port));
      child.once("error", reject);
      void exited.then(() => reject(new Error("the baseline server exited before it listened")));
      timer = setTimeout(() => reject(new Error("the baseline server did not listen in time")), startupDeadlineMs);
      const setup: BaselineSetup = { type: "setup", json, sse };
      child.send(setup);
    });
    const pid = child.pid ?? -1;
    return {
      pid,
      port,
      peakRssBytes: () => readPeakRssBytes(pid),
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
        await exited;
      },
    };
  } catch (error) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
