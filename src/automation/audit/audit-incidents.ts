import type { Kysely } from "kysely";
import { listUnresolvedIncidents, recordIncidentSighting, recordRemediation, resolveIncidentsOf } from "../../store/incidents-repository.js";
import type { Database } from "../../store/tables.js";
import { type AuditCheck, type AuditFinding, incidentKindOf } from "./audit-types.js";

/**
 * Findings become incidents (kind `audit_<check>`, counted when seen again). A repaired finding is
 * resolved at once with its remediation; an audit incident of a check that ran and no longer finds
 * it resolves too. Incidents of checks that failed this time stay as they were.
 */
export async function recordAuditIncidents(
  db: Kysely<Database>,
  findings: readonly AuditFinding[],
  completedChecks: readonly AuditCheck[],
  context: { at: number; newId: () => string },
): Promise<void> {
  const seen = new Set<string>();
  for (const finding of findings) {
    const incident = await recordIncidentSighting(db, {
      incidentId: context.newId(),
      kind: incidentKindOf(finding.check),
      severity: finding.severity,
      objectKind: finding.objectKind,
      objectId: finding.objectId,
      summary: finding.message,
      seenAt: context.at,
    });
    if (finding.remediation === undefined) {
      seen.add(incidentKey(incident.kind, incident.object_kind, incident.object_id));
      continue;
    }
    await recordRemediation(db, incident.incident_id, finding.remediation);
    await resolveIncidentsOf(db, finding.objectKind, finding.objectId, context.at);
  }
  const auditedKinds = new Set(completedChecks.map(incidentKindOf));
  for (const incident of await listUnresolvedIncidents(db)) {
    if (!auditedKinds.has(incident.kind) || seen.has(incidentKey(incident.kind, incident.object_kind, incident.object_id))) continue;
    await resolveIncidentsOf(db, incident.object_kind, incident.object_id, context.at);
  }
}

function incidentKey(kind: string, objectKind: string, objectId: string): string {
  return `${kind}\u0000${objectKind}\u0000${objectId}`;
}
