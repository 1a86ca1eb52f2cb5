import { type Command, InvalidArgumentError } from "commander";
import { discoverDaemon } from "./daemon-connection.js";
import { DaemonClients, defaultTimeoutMs } from "./grpc-clients.js";
import { describeServiceError, isServiceError } from "./grpc-errors.js";

/** Flags every command that talks to a running daemon accepts. */
export interface ClientFlags {
  addr?: string;
  stateDir?: string;
  timeoutMs?: number;
  json?: boolean;
}

/** Adds --addr, --state-dir, --timeout-ms and --json to a client command. */
export function addClientFlags(command: Command, timeoutHelp = `deadline for each call (default: ${defaultTimeoutMs})`): Command {
  return command
    .option("--addr <host:port>", "daemon gRPC address (default: PALYRA_GRPC_ADDR, else <state-dir>/daemon.json)")
    .option("--state-dir <dir>", "daemon state directory, for daemon.json and the admin token (default: PALYRA_STATE_ROOT, else ./.palyra)")
    .option("--timeout-ms <ms>", timeoutHelp, positiveInteger)
    .option("--json", "print JSON instead of text");
}

/**
 * Finds the daemon, hands its clients to fn and closes them afterwards; gRPC failures become one
 * readable CliError that names the status and, when unreachable, the address and how it was found.
 */
export async function withDaemon<T>(flags: ClientFlags, fn: (clients: DaemonClients) => Promise<T>): Promise<T> {
  const clients = new DaemonClients(discoverDaemon(flags, process.env), flags.timeoutMs);
  try {
    return await fn(clients);
  } catch (error) {
    throw isServiceError(error) ? describeServiceError(error, clients.connection, clients.timeoutMs) : error;
  } finally {
    clients.close();
  }
}

/** Commander argument parser for a positive integer flag value. */
export function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed <= 0) {
    throw new InvalidArgumentError("must be a positive integer");
  }
  return parsed;
}
