import type { Command } from "commander";
import { GetDiagnosticsResponse } from "../../../gen/grpc-js/palyra/gateway/v1/diagnostics.js";
import { addClientFlags, type ClientFlags, withDaemon } from "../client-flags.js";
import { callUnary } from "../grpc-clients.js";
import { printJson, printLine } from "../output.js";
import { formatDiagnostics } from "./diagnostics-sections.js";

/** palyra diagnostics: DiagnosticsService.GetDiagnostics, a redacted snapshot for operators, section by section (--json: the proto JSON). */
export function registerDiagnosticsCommand(diagnostics: Command): void {
  addClientFlags(diagnostics).action(async (flags: ClientFlags) => {
    const report = await withDaemon(flags, (clients) => {
      const client = clients.diagnostics();
      return callUnary<GetDiagnosticsResponse>((done) => client.getDiagnostics({}, clients.metadata(), clients.unaryOptions(), done));
    });
    if (flags.json) return printJson(GetDiagnosticsResponse.toJSON(report));
    for (const line of formatDiagnostics(report)) printLine(line);
  });
}
