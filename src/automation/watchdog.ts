import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { SelfHealingConfig } from "../config/schema.js";
import type { Logger } from "../shared/logger.js";
import { type PeriodicTask, startPeriodicTask } from "../shared/periodic-task.js";
import { listUnresolvedIncidents, resolveIncidentsOf } from "../store/incidents-repository.js";
import type { Database } from "../store/tables.js";
import { checkRuns, checkSources, type StallCheckContext, type WatchedEngine } from "./stall-checks.js";
import type { StallWatched } from "./stall-watch.js";

export type { WatchedEngine } from "./stall-checks.js";

export interface WatchdogDeps {
  db: Kysely<Database>;
  engine: WatchedEngine;
  /** Job runs and tasks (the scheduler's and the queue's), watched besides runs. */
  sources?: readonly StallWatched[];
  config: SelfHealingConfig;
  logger: Logger;
  now?: () => number;
  newId?: () => string;
}

/**
 * The self-healing watchdog ([automation.self_healing]): every check_interval_ms it looks for work with
 * no sign of progress for stall_after_ms, opens (or counts) an incident per stalled object, remediates
 * it in auto mode, and resolves incidents whose object ended. observe_only only reports; disabled
 * starts nothing. A failing check is logged and the next one runs as usual.
 */
export class Watchdog {
  private readonly context: StallCheckContext;
  private readonly now: () => number;
  /** Runs with an unresolved incident: their end resolves it at once (any other run's end costs nothing). */
  private readonly watchedRuns = new Set<string>();
  private readonly pendingWrites = new Set<Promise<void>>();
  private periodic: PeriodicTask | undefined;
  private stopped = false;

  constructor(private readonly deps: WatchdogDeps) {
    this.now = deps.now ?? Date.now;
    this.context = {
      db: deps.db,
      engine: deps.engine,
      sources: deps.sources ?? [],
      config: deps.config,
      logger: deps.logger,
      newId: deps.newId ?? randomUUID,
    };
  }

  get enabled(): boolean {
    return this.deps.config.mode !== "disabled";
  }

  /** Starts the periodic check (nothing in disabled mode). */
  start(): void {
    if (!this.enabled || this.periodic !== undefined || this.stopped) return;
    this.deps.engine.onRunEnd((runId) => this.runEnded(runId));
    const onError = (error: unknown) => this.deps.logger.error({ err: error }, "the watchdog's check failed");
    this.periodic = startPeriodicTask(() => this.check(), this.deps.config.check_interval_ms, onError);
  }

  /** Stops checking and waits for a check or an incident write under way; nothing is written after. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.periodic?.stop();
    await Promise.allSettled([...this.pendingWrites]);
  }

  /** One pass: resolves incidents whose object ended, then looks for stalled runs, job runs and tasks. */
  async check(): Promise<void> {
    if (this.stopped) return;
    const now = this.now();
    const inFlight = this.deps.engine.inFlight();
    const inFlightIds = new Set(inFlight.map((run) => run.runId));
    await this.resolveEnded(inFlightIds, now);
    for (const runId of await checkRuns(this.context, inFlight, now)) this.watchedRuns.add(runId);
    await checkSources(this.context, inFlightIds, now);
  }

  /** Resolves incidents whose object is no longer running: a run not in flight, or a job run or task its source says ended. */
  private async resolveEnded(inFlightIds: ReadonlySet<string>, now: number): Promise<void> {
    for (const incident of await listUnresolvedIncidents(this.deps.db)) {
      const { object_kind: objectKind, object_id: objectId } = incident;
      try {
        const running = objectKind === "run" ? inFlightIds.has(objectId) : await this.sourceRunning(objectKind, objectId);
        if (running) continue;
        await resolveIncidentsOf(this.deps.db, objectKind, objectId, now);
        if (objectKind === "run") this.watchedRuns.delete(objectId);
      } catch (error) {
        this.deps.logger.error({ err: error, objectKind, objectId }, "the watchdog could not tell whether stalled work ended");
      }
    }
  }

  /** Whether a job run or task still runs; one whose source is not wired in stays as it is. */
  private async sourceRunning(objectKind: string, objectId: string): Promise<boolean> {
    const source = this.context.sources.find((candidate) => candidate.objectKind === objectKind);
    return source === undefined ? true : source.running(objectId);
  }

  /** A run the watchdog reported ended: its incident resolves now rather than at the next check. */
  private runEnded(runId: string): void {
    if (this.stopped || !this.watchedRuns.delete(runId)) return;
    const write = resolveIncidentsOf(this.deps.db, "run", runId, this.now())
      .then(() => undefined)
      .catch((error: unknown) => this.deps.logger.error({ err: error, runId }, "the watchdog could not resolve a run's incident"))
      .finally(() => this.pendingWrites.delete(write));
    this.pendingWrites.add(write);
  }
}
