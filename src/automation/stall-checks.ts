import type { Kysely } from "kysely";
import type { SelfHealingConfig } from "../config/schema.js";
import type { InFlightRun, RunEndListener } from "../runs/run-engine.js";
import type { Logger } from "../shared/logger.js";
import type { IncidentRow } from "../store/automation-tables.js";
import { type IncidentSighting, recordIncidentSighting, recordRemediation } from "../store/incidents-repository.js";
import type { Database, RunRow } from "../store/tables.js";
import { type StallWatched, stalledReason } from "./stall-watch.js";

/** What the watchdog needs of the run engine (RunEngine has it; unit tests pass a fake). */
export interface WatchedEngine {
  inFlight(): InFlightRun[];
  cancelRun(runId: string, reason: string): boolean;
  onRunEnd(listener: RunEndListener): void;
  /** The run's ledger row, for the model and provider an incident names. */
  recorded(runId: string): Promise<Pick<RunRow, "model_id" | "provider_id"> | undefined>;
}

/** What one pass of the watchdog works with. */
export interface StallCheckContext {
  db: Kysely<Database>;
  engine: WatchedEngine;
  sources: readonly StallWatched[];
  config: Pick<SelfHealingConfig, "mode" | "stall_after_ms">;
  logger: Logger;
  newId: () => string;
}

/** What auto mode says it did about a stalled run. */
export const cancelledRemediation = "cancelled the run";

const seconds = (ms: number) => `${Math.round(ms / 1000)}s`;

/**
 * Runs in flight with no upstream chunk for stall_after_ms each get (or count) a run_stalled
 * incident; in auto mode a newly stalled run is cancelled with the `stalled` reason. Returns the
 * ids of the runs seen stalled, so their incidents resolve as soon as they end.
 */
export async function checkRuns(context: StallCheckContext, inFlight: readonly InFlightRun[], now: number): Promise<string[]> {
  const stalled = inFlight.filter((run) => now - run.progress.lastAt > context.config.stall_after_ms);
  for (const run of stalled) {
    await guarded(context, { objectKind: "run", objectId: run.runId }, async () => {
      const idleMs = now - run.progress.lastAt;
      const incident = await sight(context, {
        kind: "run_stalled",
        objectKind: "run",
        objectId: run.runId,
        summary: `run ${run.runId}${await servedBy(context, run.runId)} has made no progress for ${seconds(idleMs)}`,
        seenAt: now,
      });
      if (!shouldRemediate(context, incident)) return;
      // Aborts the upstream request; the run is recorded cancelled and its reservation released as it ends.
      if (context.engine.cancelRun(run.runId, `${stalledReason}: no progress for ${seconds(idleMs)}`)) {
        await remediated(context, incident, cancelledRemediation);
      }
    });
  }
  return stalled.map((run) => run.runId);
}

/**
 * Job runs and tasks left running without a heartbeat whose run is not in flight (a stalled run in
 * flight is the run's own incident): each gets (or counts) its own incident, and in auto mode its
 * source remediates it. A source that throws is logged and the others are still checked.
 */
export async function checkSources(context: StallCheckContext, inFlight: ReadonlySet<string>, now: number): Promise<void> {
  const before = now - context.config.stall_after_ms;
  for (const source of context.sources) {
    const objectKind = source.objectKind;
    let stale: Awaited<ReturnType<StallWatched["stale"]>>;
    try {
      stale = await source.stale(before);
    } catch (error) {
      context.logger.error({ err: error, objectKind }, "the watchdog could not look for stalled work");
      continue;
    }
    for (const item of stale) {
      if (item.runId !== undefined && inFlight.has(item.runId)) continue;
      await guarded(context, { objectKind, objectId: item.id }, async () => {
        const incident = await sight(context, {
          kind: `${objectKind}_stalled`,
          objectKind,
          objectId: item.id,
          summary: `${item.summary}: no heartbeat for over ${seconds(context.config.stall_after_ms)}`,
          seenAt: now,
        });
        if (!shouldRemediate(context, incident)) return;
        await remediated(context, incident, await source.remediate(item.id));
      });
    }
  }
}

/** Auto mode acts once per opening: an incident already remediating is only counted. */
function shouldRemediate(context: StallCheckContext, incident: IncidentRow): boolean {
  return context.config.mode === "auto" && incident.state === "open";
}

async function sight(context: StallCheckContext, sighting: Omit<IncidentSighting, "incidentId" | "severity">): Promise<IncidentRow> {
  const incident = await recordIncidentSighting(context.db, { ...sighting, incidentId: context.newId(), severity: "warning" });
  if (Number(incident.count) === 1) {
    context.logger.warn({ incidentId: incident.incident_id, kind: incident.kind, objectId: incident.object_id }, incident.summary);
  }
  return incident;
}

async function remediated(context: StallCheckContext, incident: IncidentRow, remediation: string): Promise<void> {
  await recordRemediation(context.db, incident.incident_id, remediation);
  context.logger.warn(
    { incidentId: incident.incident_id, kind: incident.kind, objectId: incident.object_id, remediation },
    "the watchdog remediated stalled work",
  );
}

/** " (model m on provider p)" from the run's ledger row; empty when it cannot be read. */
async function servedBy(context: StallCheckContext, runId: string): Promise<string> {
  const row = await context.engine.recorded(runId).catch(() => undefined);
  return row === undefined ? "" : ` (model ${row.model_id} on provider ${row.provider_id})`;
}

/** One object's check: its failure is logged, and the watchdog goes on with the next. */
async function guarded(context: StallCheckContext, object: { objectKind: string; objectId: string }, check: () => Promise<void>): Promise<void> {
  try {
    await check();
  } catch (error) {
    context.logger.error({ err: error, ...object }, "the watchdog could not handle stalled work");
  }
}
