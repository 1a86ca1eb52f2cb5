import type { Kysely } from "kysely";
import type { IncidentObjectKind, IncidentRow, IncidentSeverity, IncidentState } from "../store/automation-tables.js";
import { listIncidentRows } from "../store/incidents-repository.js";
import type { Database } from "../store/tables.js";

/** One problem the watchdog found with one object (a run, a job run, a task), however often it saw it. */
export interface Incident {
  incidentId: string;
  /** "run_stalled", "job_run_stalled", "task_stalled". */
  kind: string;
  severity: IncidentSeverity;
  objectKind: IncidentObjectKind;
  objectId: string;
  summary: string;
  firstSeenAt: number;
  lastSeenAt: number;
  count: number;
  state: IncidentState;
  /** What auto mode did about it; undefined when nothing was done (observe_only). */
  remediation: string | undefined;
  resolvedAt: number | undefined;
}

/** Incidents, most recently seen first: open and remediating ones, and resolved ones too when asked. */
export async function listIncidents(db: Kysely<Database>, options: { includeResolved: boolean; limit: number }): Promise<Incident[]> {
  return (await listIncidentRows(db, options)).map(incidentOf);
}

// Numbers are read through Number(): PostgreSQL returns bigint columns as strings.
function incidentOf(row: IncidentRow): Incident {
  return {
    incidentId: row.incident_id,
    kind: row.kind,
    severity: row.severity,
    objectKind: row.object_kind,
    objectId: row.object_id,
    summary: row.summary,
    firstSeenAt: Number(row.first_seen_at),
    lastSeenAt: Number(row.last_seen_at),
    count: Number(row.count),
    state: row.state,
    remediation: row.remediation ?? undefined,
    resolvedAt: row.resolved_at === null ? undefined : Number(row.resolved_at),
  };
}
