import { parseBindAddress } from "../config/bind-address.js";
import { findStateDir } from "../config/state-dir.js";
import { readAdminToken } from "../identity/admin-token.js";
import { daemonInfoPath, processIsRunning, readDaemonInfo } from "../shared/daemon-info.js";
import { CliError } from "./cli-error.js";

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

/** The state directory a client command reads: --state-dir, PALYRA_STATE_ROOT, else the nearest ./.palyra up from here. */
export function resolveStateDir(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return findStateDir(flag, env);
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
  const file = daemonInfoPath(stateDir);
  const info = readInfo(stateDir, file);
  return { address: checkAddress(info.grpc, `${file}: grpc`), addressSource: file, daemonPid: info.pid, stateDir, token };
}

function readInfo(stateDir: string, file: string): { grpc: string; pid: number } {
  let info: ReturnType<typeof readDaemonInfo>;
  try {
    info = readDaemonInfo(stateDir);
  } catch (error) {
    throw new CliError(`${file}: not a daemon.json the daemon wrote (${(error as Error).message})`);
  }
  if (info === undefined) {
    throw new CliError(`no daemon address: pass --addr, set PALYRA_GRPC_ADDR, or start the daemon with this state directory (${file} does not exist)`);
  }
  if (info.grpc === undefined) {
    const state = processIsRunning(info.pid) ? "is still starting" : "stopped before it was ready";
    throw new CliError(`the daemon (pid ${info.pid}) of ${stateDir} ${state}: ${file} has no gRPC address yet`);
  }
  return { grpc: info.grpc, pid: info.pid };
}

function checkAddress(text: string, name: string): string {
  try {
    parseBindAddress(text, name);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  return text.trim();
}
