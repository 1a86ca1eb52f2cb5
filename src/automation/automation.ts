import type { Kysely } from "kysely";
import type { AutomationConfig, JobConfig, MemoryConfig } from "../config/schema.js";
import type { Caller } from "../identity/caller.js";
import type { RunEngine } from "../runs/run-engine.js";
import type { Logger } from "../shared/logger.js";
import type { JobRunStatus } from "../store/automation-tables.js";
import type { Database } from "../store/tables.js";
import { CronJobs } from "./cron-jobs.js";
import { syncDeclarativeJobs } from "./declarative-jobs.js";
import { jobRunStallWatch } from "./job-run-stall-watch.js";
import { daemonSystemJobs } from "./memory-system-jobs.js";
import { ownerCallerFrom } from "./owner-caller.js";
import { JobScheduler } from "./scheduler.js";
import { syncSystemJobs } from "./system-job-sync.js";
import { SystemJobRegistry, type SystemJobResult } from "./system-jobs.js";
import { TaskQueue } from "./task-queue.js";
import { taskRunsOf } from "./task-runs.js";
import { taskStallWatch } from "./task-stall-watch.js";
import { realTimers } from "./timer-source.js";
import { Watchdog } from "./watchdog.js";

export interface AutomationDeps {
  db: Kysely<Database>;
  engine: RunEngine;
  config: AutomationConfig;
  /** The caller a client key stands for now (revoked or expired: an auth error): jobs and tasks run as their owner. */
  callerForKey: (keyId: string) => Promise<Caller>;
  /** How often job runs and tasks heartbeat (the engine's runs beat at the same pace). */
  heartbeatIntervalMs: number;
  logger: Logger;
  /** [memory]: the intervals and limits of the memory system jobs. */
  memory: MemoryConfig;
  /** The embeddings model the backfill embeds with (the registry's default). */
  /** The current embeddings model, read at each tick (a config reload may change it). */
  embeddingsModelId: () => string | undefined;
  /** The integrity audit system job's work; without it the audit job is not registered. */
  auditHandler?: ((signal: AbortSignal) => Promise<SystemJobResult>) | undefined;
  /** Told the status each job run ended with (the metrics). */
  onJobRunEnded?: ((status: JobRunStatus) => void) | undefined;
  /** The clock of the system jobs (default Date.now): tests move it to expire items. */
  now?: () => number;
}

/**
 * Everything that runs without a caller waiting: the cron scheduler and its jobs, the background task
 * queue, and the self-healing watchdog over runs, job runs and tasks. main.ts builds it, serves its
 * cores over RPC, starts it once the servers listen, and stops it around the engine's drain.
 */
export class Automation {
  readonly cronJobs: CronJobs;
  readonly tasks: TaskQueue;
  private readonly scheduler: JobScheduler;
  private readonly watchdog: Watchdog;
  private readonly systemJobs: SystemJobRegistry;
  private tasksStopped: Promise<void> | undefined;

  constructor(private readonly deps: AutomationDeps) {
    const { db, engine, config, logger } = deps;
    const ownerCaller = ownerCallerFrom(deps.callerForKey);
    this.tasks = new TaskQueue({ db, runs: taskRunsOf(engine), ownerCaller, logger, heartbeatIntervalMs: deps.heartbeatIntervalMs });
    const now = deps.now ?? Date.now;
    this.systemJobs = new SystemJobRegistry(
      daemonSystemJobs({
        db,
        engine,
        memory: deps.memory,
        auditIntervalMs: config.audit_interval_ms,
        embeddingsModelId: deps.embeddingsModelId,
        auditHandler: deps.auditHandler,
        now,
      }),
    );
    const systemJobs = this.systemJobs;
    this.scheduler = new JobScheduler({
      db,
      engine,
      ownerCaller,
      logger,
      now: Date.now,
      timers: realTimers,
      heartbeatIntervalMs: deps.heartbeatIntervalMs,
      systemJobs,
      onJobRunEnded: deps.onJobRunEnded,
    });
    this.cronJobs = new CronJobs({ db, scheduler: this.scheduler, now: Date.now, defaultTimezone: config.timezone });
    const sources = [taskStallWatch(this.tasks, db), jobRunStallWatch({ db, scheduler: this.scheduler, now: Date.now })];
    this.watchdog = new Watchdog({ db, engine, sources, config: config.self_healing, logger });
  }

  /** The scheduler's state, for diagnostics. */
  get schedulerState(): "not_started" | "running" | "stopped" {
    return this.scheduler.state;
  }

  /** Makes the stored config jobs match [[automation.jobs]] (at start, before serving, and on reload). */
  syncJobs(jobs: readonly JobConfig[]): Promise<{ upserted: number; removed: number }> {
    const { db, logger, config } = this.deps;
    return syncDeclarativeJobs({ db, scheduler: this.scheduler, logger, now: Date.now, defaultTimezone: config.timezone }, jobs);
  }

  /**
   * Once the servers listen: tasks and job runs a killed daemon left running are closed, queued tasks
   * run as they come due, the watchdog watches, the system jobs are registered with their configured
   * intervals, and missed ticks follow each job's misfire policy.
   */
  async start(): Promise<void> {
    await this.tasks.start();
    this.watchdog.start();
    await syncSystemJobs({ db: this.deps.db, scheduler: this.scheduler, now: Date.now }, this.systemJobs.list());
    await this.scheduler.start();
  }

  /**
   * Before the engine drains: no incident is opened for runs cancelled by the shutdown, no task
   * starts and no tick fires from here on.
   */
  async stopStarting(): Promise<void> {
    await this.watchdog.stop();
    this.tasksStopped = this.tasks.stop();
    this.scheduler.stop();
  }

  /** After the engine drained: the ends of tasks and job runs in flight are recorded before the store closes. */
  async settled(): Promise<void> {
    await this.tasksStopped;
    await this.scheduler.settled();
  }
}
