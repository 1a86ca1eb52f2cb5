import type { Command } from "commander";
import { GetDiagnosticsResponse } from "../../../gen/grpc-js/palyra/gateway/v1/diagnostics.js";
import { addClientFlags, type ClientFlags, withDaemon } from "../client-flags.js";
import { callUnary } from "../grpc-clients.js";
import { printJson, printLine } from "../output.js";
import { formatProviderTable } from "../provider-table.js";

/** palyra diagnostics: DiagnosticsService.GetDiagnostics, a snapshot for operators. */
export function registerDiagnosticsCommand(diagnostics: Command): void {
  addClientFlags(diagnostics).action(async (flags: ClientFlags) => {
    const report = await withDaemon(flags, (clients) => {
      const client = clients.diagnostics();
      return callUnary<GetDiagnosticsResponse>((done) => client.getDiagnostics({}, clients.metadata(), clients.unaryOptions(), done));
    });
    if (flags.json) return printJson(GetDiagnosticsResponse.toJSON(report));
    printLine(`version   ${report.version} (node ${report.nodeVersion})`);
    printLine(`started   ${report.startedAt?.toISOString() ?? "-"} (uptime ${report.uptimeSeconds.toFixed(1)}s)`);
    printLine(`memory    ${(report.rssBytes / 1024 / 1024).toFixed(1)} MiB RSS`);
    printLine(`config    ${report.configPath || "-"}`);
    const store = report.store;
    if (store) printLine(`store     ${store.dialect} ${store.location} (schema ${store.schemaVersion}, ${store.runCount} runs)`);
    const runs = report.runs;
    if (runs) {
      printLine(`runs      ${runs.active} active, ${runs.succeeded} succeeded, ${runs.failed} failed, ${runs.cancelled} cancelled`);
    }
    printLine();
    printLine(formatProviderTable(report.providers));
  });
}
