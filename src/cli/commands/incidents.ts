import type { Command } from "commander";
import { type Incident, incidentSeverityToJSON, incidentStateToJSON, ListIncidentsResponse } from "../../../gen/grpc-js/palyra/gateway/v1/diagnostics.js";
import { addClientFlags, type ClientFlags, positiveInteger, withDaemon } from "../client-flags.js";
import { callUnary } from "../grpc-clients.js";
import { enumLabel, formatTable, formatTime, printJson, printLine } from "../output.js";

interface ListFlags extends ClientFlags {
  all?: boolean;
  limit?: number;
}

/** palyra incidents list: what the self-healing watchdog found (DiagnosticsService.ListIncidents, admin only). */
export function registerIncidentsCommand(incidents: Command): void {
  addClientFlags(incidents.command("list").description("list open and remediating incidents, most recently seen first"))
    .option("--all", "include resolved incidents")
    .option("--limit <n>", "at most this many, 1-500 (default: 100)", positiveInteger)
    .action(async (flags: ListFlags) => {
      const request = { includeResolved: flags.all ?? false, limit: flags.limit ?? 0 };
      const response = await withDaemon(flags, (clients) => {
        const client = clients.diagnostics();
        return callUnary<ListIncidentsResponse>((done) => client.listIncidents(request, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) return printJson(ListIncidentsResponse.toJSON(response));
      if (response.incidents.length === 0) return printLine(flags.all ? "no incidents" : "no open incidents");
      const headers = ["id", "kind", "severity", "object", "state", "count", "first seen", "last seen", "resolved", "remediation", "summary"];
      printLine(formatTable(headers, response.incidents.map(incidentRow)));
    });
}

function incidentRow(incident: Incident): string[] {
  return [
    incident.incidentId,
    incident.kind,
    enumLabel(incidentSeverityToJSON(incident.severity), "INCIDENT_SEVERITY_"),
    `${incident.objectKind}/${incident.objectId}`,
    enumLabel(incidentStateToJSON(incident.state), "INCIDENT_STATE_"),
    String(incident.count),
    formatTime(incident.firstSeenAt),
    formatTime(incident.lastSeenAt),
    formatTime(incident.resolvedAt),
    incident.remediation || "-",
    incident.summary,
  ];
}
