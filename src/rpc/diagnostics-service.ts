import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { DiagnosticsService } from "../../gen/es/palyra/gateway/v1/diagnostics_pb.js";
import type { AuditReport } from "../automation/audit/integrity-audit.js";
import { listIncidents } from "../automation/incidents.js";
import { redactConfig } from "../config/redact-config.js";
import { collectDiagnostics, type DiagnosticsSources } from "../diagnostics/collect-diagnostics.js";
import { auditReportToProto } from "./convert/audit-to-proto.js";
import { diagnosticsToProto } from "./convert/diagnostics-to-proto.js";
import { incidentToProto, listIncidentsOptionsFromProto } from "./convert/incidents-to-proto.js";

/** Runs the integrity audit (repairing as self-healing's mode says) and reports what it found. */
export type RunAudit = () => Promise<AuditReport>;

export function createDiagnosticsService(sources: DiagnosticsSources, runAudit: RunAudit): ServiceImpl<typeof DiagnosticsService> {
  return {
    getEffectiveConfig() {
      const { config, source, envOverrides } = sources.loadedConfig;
      return { configJson: JSON.stringify(redactConfig(config), null, 2), source, envOverrides };
    },

    async listIncidents(request) {
      const incidents = await listIncidents(sources.store.db, listIncidentsOptionsFromProto(request));
      return { incidents: incidents.map(incidentToProto) };
    },

    reloadConfig() {
      // Groundwork for issue 14: the live reload replaces this.
      throw new ConnectError("ReloadConfig is not implemented yet", Code.Unimplemented);
    },

    async runAudit() {
      return auditReportToProto(await runAudit());
    },

    async getDiagnostics() {
      return diagnosticsToProto(await collectDiagnostics(sources));
    },
  };
}
