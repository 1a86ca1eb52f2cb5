import type { ServiceImpl } from "@connectrpc/connect";
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

/** Re-reads palyra.toml and applies it (throws invalid_request naming the file and key, changing nothing). */
export type ReloadConfig = () => Promise<{ source: string; changedSections: string[]; restartRequired: string[]; jobsUpserted: number; jobsRemoved: number }>;

export function createDiagnosticsService(sources: DiagnosticsSources, runAudit: RunAudit, reloadConfig: ReloadConfig): ServiceImpl<typeof DiagnosticsService> {
  return {
    getEffectiveConfig() {
      const { config, source, envOverrides } = sources.configInForce();
      return { configJson: JSON.stringify(redactConfig(config), null, 2), source, envOverrides };
    },

    async listIncidents(request) {
      const incidents = await listIncidents(sources.store.db, listIncidentsOptionsFromProto(request));
      return { incidents: incidents.map(incidentToProto) };
    },

    reloadConfig() {
      return reloadConfig();
    },

    async runAudit() {
      return auditReportToProto(await runAudit());
    },

    async getDiagnostics() {
      return diagnosticsToProto(await collectDiagnostics(sources));
    },
  };
}
