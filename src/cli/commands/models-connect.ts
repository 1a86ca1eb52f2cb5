import type { Command } from "commander";
import { ConnectionStatus, connectionStatusToJSON, DiscoverResponse, TestConnectionResponse } from "../../../gen/grpc-js/palyra/gateway/v1/models.js";
import { exitCodes } from "../cli-error.js";
import { addClientFlags, type ClientFlags, withDaemon } from "../client-flags.js";
import { callUnary, defaultTimeoutMs } from "../grpc-clients.js";
import { enumLabel, formatTable, printJson, printLine } from "../output.js";

export interface ProviderFlags extends ClientFlags {
  provider?: string;
}

/** The daemon's probe limit when --timeout-ms is not given (TestConnectionRequest.timeout_ms = 0). */
export const defaultProbeTimeoutMs = 5000;

/** palyra models connect: a live connectivity check and model discovery in one step. */
export function registerConnectCommand(models: Command): void {
  addClientFlags(
    models.command("connect").description("check providers' connectivity and discover their models in one step; exits 1 when either fails"),
    `time limit for each provider's probe (default: ${defaultProbeTimeoutMs})`,
  )
    .option("--provider <id>", "only this provider (default: every enabled one)")
    .action(async (flags: ProviderFlags) => {
      const providerId = flags.provider ?? "";
      const probeMs = flags.timeoutMs ?? defaultProbeTimeoutMs;
      // Two probes per provider at most (connectivity, then the listing), each within --timeout-ms.
      const { connection, discovery } = await withDaemon({ ...flags, timeoutMs: probeMs + defaultTimeoutMs }, async (clients) => {
        const client = clients.models();
        const connection = await callUnary<TestConnectionResponse>((done) =>
          client.testConnection({ providerId, timeoutMs: flags.timeoutMs ?? 0 }, clients.metadata(), clients.unaryOptions(), done),
        );
        const discovery = await callUnary<DiscoverResponse>((done) => client.discover({ providerId }, clients.metadata(), clients.unaryOptions(), done));
        return { connection, discovery };
      });
      const failed = connection.results.some((result) => !connectionHeld(result.status)) || discovery.providers.some((found) => !connectionHeld(found.status));
      if (failed) process.exitCode = exitCodes.failure;
      if (flags.json) return printJson({ connection: TestConnectionResponse.toJSON(connection), discovery: DiscoverResponse.toJSON(discovery) });
      printLine("connectivity");
      printLine(connectionTable(connection));
      printLine();
      printLine("discovery");
      printLine(discoveryTable(discovery));
    });
}

/** A probe that reached the provider, or a provider with nothing to probe. */
export function connectionHeld(status: ConnectionStatus): boolean {
  return status === ConnectionStatus.CONNECTION_STATUS_OK || status === ConnectionStatus.CONNECTION_STATUS_NOT_APPLICABLE;
}

function statusLabel(status: ConnectionStatus): string {
  return enumLabel(connectionStatusToJSON(status), "CONNECTION_STATUS_");
}

/** TestConnection's results, one row per provider. */
export function connectionTable(response: TestConnectionResponse): string {
  const rows = response.results.map((result) => [
    result.providerId,
    statusLabel(result.status),
    result.status === ConnectionStatus.CONNECTION_STATUS_NOT_APPLICABLE ? "-" : `${result.latencyMs} ms`,
    result.detail,
  ]);
  return formatTable(["provider", "status", "latency", "detail"], rows);
}

/** Discover's listing per provider, then a line per model it added. */
export function discoveryTable(response: DiscoverResponse): string {
  const rows = response.providers.map((found) => [
    found.providerId,
    statusLabel(found.status),
    String(found.upstreamModels.length),
    String(found.addedModelIds.length),
    found.status === ConnectionStatus.CONNECTION_STATUS_OK ? "" : found.detail,
  ]);
  const added = response.providers.flatMap((found) => found.addedModelIds).map((modelId) => `added ${modelId}`);
  return [formatTable(["provider", "status", "listed", "added", "detail"], rows), ...(added.length > 0 ? ["", ...added] : [])].join("\n");
}
