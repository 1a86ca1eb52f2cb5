import type { CapturedResponse } from "./capture.js";
import { type ListeningReply, type ServerProcess, startServerProcess } from "./server-process.js";

/** What the harness sends the baseline process: the two responses to replay. */
export interface BaselineSetup {
  type: "setup";
  json: CapturedResponse;
  sse: CapturedResponse;
}

/** What the baseline process answers once it listens. */
export type BaselineReply = ListeningReply;

export type BaselineProcess = ServerProcess;

/** Forks bench/baseline-server.ts (through tsx) and resolves once it listens on 127.0.0.1. */
export async function startBaseline(json: CapturedResponse, sse: CapturedResponse): Promise<BaselineProcess> {
  const setup: BaselineSetup = { type: "setup", json, sse };
  return startServerProcess(new URL("./baseline-server.ts", import.meta.url), "baseline server", setup);
}
