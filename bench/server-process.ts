import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { repoRoot } from "./daemon-process.js";
import { readPeakRssBytes } from "./proc.js";

/** What a bench server process answers once it listens on 127.0.0.1. */
export interface ListeningReply {
  type: "listening";
  port: number;
}

export interface ServerProcess {
  pid: number;
  port: number;
  peakRssBytes(): number | undefined;
  /** Sends `message` over IPC and resolves with the next message the process sends back. */
  ask<T>(message: unknown): Promise<T>;
  stop(): Promise<void>;
}

const startupDeadlineMs = 30_000;
const askDeadlineMs = 5_000;

/**
 * Forks a bench server script (through tsx), sends it `setup` over IPC and resolves once it reports
 * the port it listens on. The script exits when the harness disconnects, so none outlives the bench.
 */
export async function startServerProcess(script: URL, name: string, setup: unknown): Promise<ServerProcess> {
  const child = fork(fileURLToPath(script), [], {
    cwd: repoRoot,
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let timer: NodeJS.Timeout | undefined;
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once("message", (message: ListeningReply) => resolve(message.port));
      child.once("error", reject);
      void exited.then(() => reject(new Error(`the ${name} exited before it listened`)));
      timer = setTimeout(() => reject(new Error(`the ${name} did not listen within ${startupDeadlineMs / 1000} s`)), startupDeadlineMs);
      child.send(setup as object);
    });
    const pid = child.pid ?? -1;
    return {
      pid,
      port,
      peakRssBytes: () => readPeakRssBytes(pid),
      ask: <T>(message: unknown) =>
        new Promise<T>((resolve, reject) => {
          const deadline = setTimeout(() => reject(new Error(`the ${name} did not answer over IPC`)), askDeadlineMs);
          child.once("message", (reply: T) => {
            clearTimeout(deadline);
            resolve(reply);
          });
          child.send(message as object);
        }),
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
