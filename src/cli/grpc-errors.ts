import { type ServiceError, status } from "@grpc/grpc-js";
import { processIsRunning } from "../shared/daemon-info.js";
import { CliError } from "./cli-error.js";
import type { DaemonConnection } from "./daemon-connection.js";

export function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === "number" && "details" in error;
}

/** "NOT_FOUND", "UNAUTHENTICATED", … for a numeric gRPC status code. */
export function statusName(code: number): string {
  return (status as unknown as Record<number, string | undefined>)[code] ?? `code ${code}`;
}

/**
 * grpc-js says UNAVAILABLE both when it cannot reach the daemon and when the daemon answers
 * UNAVAILABLE itself (an upstream provider is down); these details only come from the former.
 */
const connectionFailure = /^(No connection established|Name resolution failed|Failed to connect)/i;
/** The connection broke while a call was under way (the daemon stopped or crashed). */
const connectionDropped = /^Connection dropped/i;

/** Turns a gRPC failure into the one line the CLI prints, saying which daemon was tried and how. */
export function describeServiceError(error: ServiceError, connection: DaemonConnection, timeoutMs: number): CliError {
  const name = statusName(error.code);
  // grpc-js appends an empty "Resolution note: " to connection errors; it only adds noise.
  const details = percentDecoded(error.details || error.message).replace(/\.?\s*Resolution note:\s*$/, "");
  const where = `${connection.address} (from ${connection.addressSource})`;
  if (error.code === status.UNAVAILABLE && connectionFailure.test(details)) {
    const pid = connection.daemonPid;
    const stale = pid !== undefined && !processIsRunning(pid) ? `; daemon.json names pid ${pid}, which is not running` : "";
    return new CliError(`cannot reach the daemon at ${where}: ${name}: ${details}${stale}`);
  }
  if (error.code === status.UNAVAILABLE && connectionDropped.test(details)) {
    return new CliError(`lost the connection to the daemon at ${where} during the call: ${name}: ${details}`);
  }
  if (error.code === status.DEADLINE_EXCEEDED) {
    return new CliError(`the daemon at ${where} did not answer within ${timeoutMs} ms (--timeout-ms): ${name}: ${details}`);
  }
  if (error.code === status.UNAUTHENTICATED && connection.token === undefined) {
    return new CliError(
      `${name}: ${details} (no admin token found: set PALYRA_ADMIN_TOKEN or pass the daemon's --state-dir; looked in ${connection.stateDir})`,
    );
  }
  return new CliError(`${name}: ${details}`);
}

/**
 * The gRPC wire percent-encodes status messages; Connect servers encode more characters than grpc-js
 * decodes (":" and ";" among them), so the CLI finishes the job.
 */
function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
