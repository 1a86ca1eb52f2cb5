import type { Kysely } from "kysely";
import type { IncidentObjectKind, IncidentRow, IncidentSeverity, IncidentState } from "./automation-tables.js";
import type { Database } from "./tables.js";

/** A problem the watchdog sees with one object, as it sees it now. */
export interface IncidentSighting {
  /** Used only when this is the first sighting of the problem with this object. */
  incidentId: string;
  kind: string;
  severity: IncidentSeverity;
  objectKind: IncidentObjectKind;
  objectId: string;
  summary: string;
  seenAt: number;
}

/**
 * Records a sighting: the first opens an incident, later ones (the unique kind + object) count it and
 * refresh its summary. A resolved incident seen again (a requeued task stalling anew) opens again.
 * Returns the incident as it now stands.
 */
export async function recordIncidentSighting(db: Kysely<Database>, sighting: IncidentSighting): Promise<IncidentRow> {
  return db
    .insertInto("incidents")
    .values({
      incident_id: sighting.incidentId,
      kind: sighting.kind,
      severity: sighting.severity,
      object_kind: sighting.objectKind,
      object_id: sighting.objectId,
      summary: sighting.summary,
      first_seen_at: sighting.seenAt,
      last_seen_at: sighting.seenAt,
      state: "open",
    })
    .onConflict((conflict) =>
      conflict.columns(["kind", "object_kind", "object_id"]).doUpdateSet((eb) => ({
        summary: eb.ref("excluded.summary"),
        severity: eb.ref("excluded.severity"),
        last_seen_at: eb.ref("excluded.last_seen_at"),
        count: eb("incidents.count", "+", 1),
        state: eb.case().when("incidents.state", "=", "resolved").then("open").else(eb.ref("incidents.state")).end().$castTo<IncidentState>(),
        resolved_at: null,
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Notes the remediation taken. The state becomes remediating unless the object already ended and its
 * incident resolved meanwhile (a cancelled run can end before this write lands): resolved stays resolved.
 */
export async function recordRemediation(db: Kysely<Database>, incidentId: string, remediation: string): Promise<void> {
  await db
    .updateTable("incidents")
    .set((eb) => ({
      remediation,
      state: eb.case().when("state", "=", "resolved").then("resolved").else("remediating").end().$castTo<IncidentState>(),
    }))
    .where("incident_id", "=", incidentId)
    .execute();
}

/** Resolves the unresolved incidents of an object that ended; returns how many. */
export async function resolveIncidentsOf(db: Kysely<Database>, objectKind: IncidentObjectKind, objectId: string, resolvedAt: number): Promise<number> {
  const result = await db
    .updateTable("incidents")
    .set({ state: "resolved", resolved_at: resolvedAt })
    .where("object_kind", "=", objectKind)
    .where("object_id", "=", objectId)
    .where("state", "!=", "resolved")
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Incidents still open or remediating (the watchdog checks whether their objects ended). */
export async function listUnresolvedIncidents(db: Kysely<Database>): Promise<IncidentRow[]> {
  return db.selectFrom("incidents").selectAll().where("state", "in", ["open", "remediating"]).execute();
}

/** Incidents, newest sighting first, at most `limit`; resolved ones only when asked. */
export async function listIncidentRows(db: Kysely<Database>, options: { includeResolved: boolean; limit: number }): Promise<IncidentRow[]> {
  let query = db.selectFrom("incidents").selectAll();
  if (!options.includeResolved) query = query.where("state", "in", ["open", "remediating"]);
  return query.orderBy("last_seen_at", "desc").orderBy("incident_id").limit(options.limit).execute();
}

/** How many incidents are open or remediating (the metrics' gauge, read at scrape time over incidents_state_idx). */
export async function countUnresolvedIncidents(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom("incidents")
    .select((eb) => eb.fn.countAll<number>().as("count"))
    .where("state", "in", ["open", "remediating"])
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
