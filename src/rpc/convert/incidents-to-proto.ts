import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  IncidentSeverity,
  IncidentState,
  type ListIncidentsRequest,
  type Incident as ProtoIncident,
} from "../../../gen/es/palyra/gateway/v1/diagnostics_pb.js";
import type { Incident } from "../../automation/incidents.js";
import { invalidRequest } from "../../shared/errors.js";

type Plain<T> = Omit<T, "$typeName">;

const defaultLimit = 100;
const maxLimit = 500;

/** ListIncidents' request as the listing's options: 0 means the default limit; past the maximum is refused, naming the field. */
export function listIncidentsOptionsFromProto(request: Pick<ListIncidentsRequest, "includeResolved" | "limit">): { includeResolved: boolean; limit: number } {
  if (request.limit > maxLimit) throw invalidRequest("limit", `must be between 1 and ${maxLimit} (0 means ${defaultLimit}), got ${request.limit}`);
  return { includeResolved: request.includeResolved, limit: request.limit === 0 ? defaultLimit : request.limit };
}

const states: Record<Incident["state"], IncidentState> = {
  open: IncidentState.OPEN,
  remediating: IncidentState.REMEDIATING,
  resolved: IncidentState.RESOLVED,
};

const severities: Record<Incident["severity"], IncidentSeverity> = {
  info: IncidentSeverity.INFO,
  warning: IncidentSeverity.WARNING,
  critical: IncidentSeverity.CRITICAL,
};

export function incidentToProto(incident: Incident): Plain<ProtoIncident> {
  return {
    incidentId: incident.incidentId,
    kind: incident.kind,
    severity: severities[incident.severity] ?? IncidentSeverity.UNSPECIFIED,
    objectKind: incident.objectKind,
    objectId: incident.objectId,
    summary: incident.summary,
    firstSeenAt: timestampFromMs(incident.firstSeenAt),
    lastSeenAt: timestampFromMs(incident.lastSeenAt),
    count: incident.count,
    state: states[incident.state] ?? IncidentState.UNSPECIFIED,
    remediation: incident.remediation ?? "",
    resolvedAt: incident.resolvedAt === undefined ? undefined : timestampFromMs(incident.resolvedAt),
  };
}
