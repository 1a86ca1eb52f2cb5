import type { Kysely } from "kysely";
import { GatewayError, toGatewayError } from "../shared/errors.js";
import type { Logger } from "../shared/logger.js";
import type { TaskRow } from "../store/automation-tables.js";
import type { Database } from "../store/tables.js";
import {
  claimTask,
  closeInterruptedTasks,
  dueTasks,
  expireOverdueTasks,
  heartbeatTask,
  nextQueuedTimes,
  openTasksOfParent,
  updateTaskIf,
} from "../store/tasks-repository.js";
import { throttledHeartbeat } from "./heartbeat.js";
import type { OwnerCaller } from "./owner-caller.js";
import { runInputOf, runSpecFromJson } from "./run-spec.js";
import type { BackgroundRunOutcome } from "./run-to-end.js";
import { parentCancelledReason, refusedOutcome, taskEndPatch } from "./task-outcome.js";
import type { TaskRuns } from "./task-runs.js";
import type { TimerClock } from "./timer-source.js";

export interface TaskRunnerDeps {
  db: Kysely<Database>;
  runs: TaskRuns;
  ownerCaller: OwnerCaller;
  logger: Logger;
  clock: TimerClock;
  /** Tasks running at once. */
  concurrency: number;
  /** First retry's wait; doubles per attempt. */
  retryBackoffMs: number;
  /** At most one heartbeat write per task in this interval. */
  heartbeatIntervalMs: number;
}

/** How soon the queue looks again after a look that failed or left something due behind. */
const retryLookMs = 1000;

/** A task this daemon is running: its attempt, and how to cancel its run once it has one. */
interface InFlightTask {
  attempt: number;
  runId: string | undefined;
  cancelRun: ((reason: string) => void) | undefined;
  cancelReason: string | undefined;
  /** True while the task only waits for its run to end. */
  awaitingRun: boolean;
  done: Promise<void>;
}

/**
 * Runs due tasks. One timer sleeps until the next thing to do (a task due, a queued task expiring); a
 * submission, a cancel and every finished task wake it early. At most `concurrency` tasks run at once.
 */
export class TaskRunner {
  private readonly inFlight = new Map<string, InFlightTask>();
  private readonly pendingWork = new Set<Promise<void>>();
  private state: "idle" | "running" | "stopping" = "idle";
  private cancelTimer: (() => void) | undefined;
  private pumping: Promise<void> | undefined;
  private pumpAgain = false;

  constructor(private readonly deps: TaskRunnerDeps) {
    // Cancelling a run cancels the tasks it is the parent of (and their runs). Not while stopping: the
    // drain cancels every run, and the store closes soon; a task checks its parent again when it starts.
    deps.runs.onRunEnd((runId, status) => {
      if (status === "cancelled" && this.state !== "stopping") this.track(this.cancelChildren(runId));
    });
  }

  /** Closes out tasks a killed daemon left running, then starts running due tasks. */
  async start(): Promise<void> {
    const closed = await closeInterruptedTasks(this.deps.db, this.deps.clock.now());
    if (closed > 0) this.deps.logger.warn({ tasks: closed }, "closed out tasks a previous daemon left running");
    this.state = "running";
    this.wake();
  }

  /** Starts no more tasks; waits until the running ones (whose runs the engine's drain cancels) are recorded. */
  async stop(): Promise<void> {
    this.state = "stopping";
    this.cancelTimer?.();
    await this.pumping;
    await Promise.allSettled([...this.inFlight.values()].map((task) => task.done));
    await Promise.allSettled([...this.pendingWork]);
  }

  /**
   * Resolves once the queue has done all it can for now, leaving only runs in flight to wait for: no
   * look at the queue, no pending write, no task between its claim and its run or between its run's
   * end and its record. Tests wait on it instead of sleeping.
   */
  async settled(): Promise<void> {
    for (;;) {
      // Let continuations already due (a run that just ended) take their next step first.
      await new Promise((resolve) => setImmediate(resolve));
      const busy = [this.pumping, ...this.pendingWork, ...[...this.inFlight.values()].filter((task) => !task.awaitingRun).map((task) => task.done)];
      if (busy.every((work) => work === undefined)) return;
      await Promise.allSettled(busy);
    }
  }

  /** Looks again at what is due now (after a submission, a cancel, a finished task, or the timer). */
  wake(): void {
    if (this.state !== "running") return;
    if (this.pumping !== undefined) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = (async () => {
      do {
        this.pumpAgain = false;
        await this.pump().catch((error: unknown) => {
          this.deps.logger.error({ err: error }, "the task queue could not start due tasks; it looks again shortly");
          // The timer was not re-armed: without this, due tasks would wait for the next submission.
          if (this.state === "running") this.cancelTimer = this.deps.clock.set(() => this.wake(), retryLookMs);
        });
      } while (this.pumpAgain && this.state === "running");
    })().finally(() => {
      this.pumping = undefined;
    });
  }

  /** Whether this daemon runs the task now, and its run if it has one yet. */
  running(taskId: string): { runId: string | undefined } | undefined {
    const task = this.inFlight.get(taskId);
    return task && { runId: task.runId };
  }

  /** Cancels a running task (its run, once it has one) and waits until its end is recorded; false when not running here. */
  async cancel(taskId: string, reason: string): Promise<boolean> {
    const task = this.inFlight.get(taskId);
    if (task === undefined) return false;
    task.cancelReason ??= reason;
    task.cancelRun?.(reason);
    await task.done;
    return true;
  }

  /** Cancels a running task's run for the watchdog (recorded as its run's end says); false when it has no run here. */
  cancelRun(taskId: string, reason: string): boolean {
    const task = this.inFlight.get(taskId);
    if (task?.cancelRun === undefined) return false;
    task.cancelRun(reason);
    return true;
  }

  private async pump(): Promise<void> {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    const { db, clock, concurrency } = this.deps;
    const now = clock.now();
    await expireOverdueTasks(db, now);
    const free = concurrency - this.inFlight.size;
    if (free > 0) for (const row of await dueTasks(db, now, free)) await this.launch(row, now);
    if (this.state !== "running") return;
    const { due, expiry } = await nextQueuedTimes(db);
    // With every slot busy a finishing task wakes the queue: only an expiry needs the clock then.
    const candidates = [this.inFlight.size < concurrency ? due : undefined, expiry].filter((at): at is number => at !== undefined);
    if (candidates.length === 0) return;
    const wakeAt = Math.min(...candidates);
    // Something due yet not started (a claim lost to a concurrent change): look again shortly, never spin.
    const delay = wakeAt > now ? wakeAt - clock.now() : retryLookMs;
    this.cancelTimer = clock.set(() => this.wake(), delay);
  }

  private async launch(row: TaskRow, now: number): Promise<void> {
    if (!(await claimTask(this.deps.db, row, now))) return;
    const task: InFlightTask = {
      attempt: row.attempts + 1,
      runId: undefined,
      cancelRun: undefined,
      cancelReason: undefined,
      awaitingRun: false,
      done: Promise.resolve(),
    };
    this.inFlight.set(row.task_id, task);
    task.done = this.execute(row, task)
      .catch((error: unknown) => this.deps.logger.error({ err: error, taskId: row.task_id }, "a task's end could not be recorded"))
      .finally(() => {
        if (this.inFlight.get(row.task_id) === task) this.inFlight.delete(row.task_id);
        this.wake();
      });
  }

  private async execute(row: TaskRow, task: InFlightTask): Promise<void> {
    const { db, runs, clock, logger } = this.deps;
    const taskId = row.task_id;
    if (row.parent_run_id !== null && (await runs.runInfo(row.parent_run_id))?.status === "cancelled") {
      task.cancelReason ??= parentCancelledReason(row.parent_run_id);
    }
    const outcome = task.cancelReason === undefined ? await this.runAttempt(row, task) : refusedOutcome(new GatewayError("cancelled", task.cancelReason));
    const patch = taskEndPatch(row, outcome, {
      attempt: task.attempt,
      now: clock.now(),
      retryBackoffMs: this.deps.retryBackoffMs,
      cancelReason: task.cancelReason,
      stopping: this.state === "stopping",
    });
    const recorded = await updateTaskIf(db, taskId, { state: "running", attempt: task.attempt }, patch);
    if (!recorded) logger.warn({ taskId }, "a task changed while its run ended; its end was not recorded over the change");
  }

  private async runAttempt(row: TaskRow, task: InFlightTask): Promise<BackgroundRunOutcome> {
    const { db, runs, clock, logger } = this.deps;
    const taskId = row.task_id;
    let caller: Awaited<ReturnType<OwnerCaller>>;
    try {
      caller = await this.deps.ownerCaller(row.owner);
    } catch (error) {
      return refusedOutcome(toGatewayError(error));
    }
    const heartbeat = throttledHeartbeat((at) => heartbeatTask(db, taskId, at), {
      intervalMs: this.deps.heartbeatIntervalMs,
      now: clock.now,
      onError: (error) => logger.warn({ err: error, taskId }, "could not record a task's heartbeat"),
    });
    const input = runInputOf(runSpecFromJson(row.run_spec), row.agent_id ?? undefined, `task-${taskId}`);
    task.awaitingRun = true;
    return runs
      .run(input, caller, {
        onStart: (runId, cancelRun) => {
          task.runId = runId;
          task.cancelRun = cancelRun;
          if (task.cancelReason !== undefined) cancelRun(task.cancelReason);
          // GetTask and the watchdog see the run while it runs.
          this.track(updateTaskIf(db, taskId, { state: "running", attempt: task.attempt }, { run_id: runId }).then(() => undefined));
        },
        onProgress: heartbeat,
      })
      .finally(() => {
        task.awaitingRun = false;
      });
  }

  private async cancelChildren(parentRunId: string): Promise<void> {
    const reason = parentCancelledReason(parentRunId);
    const { db, clock } = this.deps;
    for (const child of await openTasksOfParent(db, parentRunId)) {
      if (child.state === "running") {
        const running = this.inFlight.get(child.task_id);
        if (running !== undefined) {
          running.cancelReason ??= reason;
          running.cancelRun?.(reason);
        }
        continue;
      }
      const patch = { state: "cancelled", finished_at: clock.now(), error_kind: "cancelled", error_message: reason } as const;
      await updateTaskIf(db, child.task_id, { state: "queued" }, patch);
    }
    this.wake();
  }

  /** Keeps background store work in view, so stop() waits for it before the store closes. */
  private track(work: Promise<void>): void {
    const tracked = work
      .catch((error: unknown) => this.deps.logger.error({ err: error }, "the task queue could not record a change"))
      .finally(() => this.pendingWork.delete(tracked));
    this.pendingWork.add(tracked);
  }
}
