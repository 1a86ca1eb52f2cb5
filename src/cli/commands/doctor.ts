import type { Command } from "commander";
import { RunAuditResponse } from "../../../gen/grpc-js/palyra/gateway/v1/diagnostics.js";
import { exitCodes } from "../cli-error.js";
import { addClientFlags, type ClientFlags, withDaemon } from "../client-flags.js";
import { callUnary } from "../grpc-clients.js";
import { formatTable, printJson, printLine } from "../output.js";

/**
 * palyra doctor: runs the integrity audit in the daemon (DiagnosticsService.RunAudit, admin only) and
 * prints what it found. Exits 1 when there are findings, so scripts and CI can gate on it; repairs
 * happen in the daemon, only in self-healing mode auto.
 */
export function registerDoctorCommand(doctor: Command): void {
  addClientFlags(doctor).action(async (flags: ClientFlags) => {
    const report = await withDaemon(flags, (clients) => {
      const client = clients.diagnostics();
      return callUnary<RunAuditResponse>((done) => client.runAudit({}, clients.metadata(), clients.unaryOptions(), done));
    });
    if (report.findings.length > 0) process.exitCode = exitCodes.failure;
    if (flags.json) return printJson(RunAuditResponse.toJSON(report));
    if (report.findings.length === 0) return printLine(`no findings (${report.checked} checked)`);
    const rows = report.findings.map((finding) => [finding.check, finding.object, finding.repaired ? "yes" : "no", finding.message]);
    printLine(formatTable(["check", "object", "repaired", "finding"], rows));
    printLine(`${report.findings.length} finding(s), ${report.checked} checked; see "palyra incidents list"`);
  });
}
