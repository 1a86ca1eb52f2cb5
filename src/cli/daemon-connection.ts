import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseBindAddress } from "../config/bind-address.js";
import { defaultStateDir } from "../config/defaults.js";
import { readAdminToken } from "../identity/admin-token.js";
import { CliError } from "./cli-error.js";

/**
 * The file the daemon writes once listening. Same name as main.ts's daemonInfoFileName; kept here so
 * that client commands need not load the whole daemon (store, providers, servers) to find it.
 */
export const daemonInfoFileName = "daemon.json";

export interface ConnectionFlags {
  addr?: string | undefined;
  stateDir?: string | undefined;
}

/** Where the daemon is, how we know, and the credential to present. */
export interface DaemonConnection {
  /** "host:port" of the daemon's gRPC listener. */
  address: string;
  /** How the address was found, for error messages: "--addr", "PALYRA_GRPC_ADDR" or a daemon.json path. */
  addressSource: string;
  /** The pid daemon.json names, when the address came from it. */
  daemonPid: number | undefined;
  stateDir: string;
  /** The admin token, or undefined when neither PALYRA_ADMIN_TOKEN nor the state directory has one. */
  token: string | undefined;
}

/** The state directory the way the daemon picks it: --state-dir, PALYRA_STATE_ROOT, ./.palyra. */
export function resolveStateDir(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return resolve(flag || env.PALYRA_STATE_ROOT || defaultStateDir);
}

/** Finds the daemon: --addr, else PALYRA_GRPC_ADDR, else the grpc address in <state-dir>/daemon.json. */
export function discoverDaemon(flags: ConnectionFlags, env: NodeJS.ProcessEnv): DaemonConnection {
  const stateDir = resolveStateDir(flags.stateDir, env);
  const token = readAdminToken(stateDir, env);
  if (flags.addr) return { address: checkAddress(flags.addr, "--addr"), addressSource: "--addr", daemonPid: undefined, stateDir, token };
  const fromEnv = env.PALYRA_GRPC_ADDR?.trim();
  if (fromEnv) {
    return { address: checkAddress(fromEnv, "PALYRA_GRPC_ADDR"), addressSource: "PALYRA_GRPC_ADDR", daemonPid: undefined, stateDir, token };
  }
  const file = join(stateDir, daemonInfoFileName);
  const info = readDaemonInfo(file);
  return { address: checkAddress(info.grpc, `${file}: grpc`), addressSource: file, daemonPid: info.pid, stateDir, token };
}

interface DaemonInfo {
  grpc: string;
  pid: number | undefined;
}

function readDaemonInfo(file: string): DaemonInfo {
  if (!existsSync(file)) {
    throw new CliError(`no daemon address: pass --addr, set PALYRA_GRPC_ADDR, or start the daemon with this state directory (${file} does not exist)`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new CliError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  const record = (typeof parsed === "object" && parsed !== null ? parsed : {}) as Record<string, unknown>;
  if (typeof record.grpc !== "string" || record.grpc === "") throw new CliError(`${file}: has no "grpc" address`);
  return { grpc: record.grpc, pid: typeof record.pid === "number" ? record.pid : undefined };
}

function checkAddress(text: string, name: string): string {
  try {
    parseBindAddress(text, name);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  return text.trim();
}

/** False when pid names no running process; used to call a daemon.json stale. */
export function processIsRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
