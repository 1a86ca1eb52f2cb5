import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Caller } from "../identity/caller.js";
import { GatewayError, invalidRequest } from "../shared/errors.js";
import type { Logger } from "../shared/logger.js";
import type { TaskRow, TaskState } from "../store/automation-tables.js";
import type { Database } from "../store/tables.js";
import { countOpenTasks, findTask, insertTask, listTasks, updateTaskIf } from "../store/tasks-repository.js";
import type { OwnerCaller } from "./owner-caller.js";
import { maxOpenTasksPerOwner, ownerLimitError } from "./owner-limits.js";
import { runSpecToJson } from "./run-spec.js";
import { type Task, taskFromRow } from "./task.js";
import { parentCancelledReason } from "./task-outcome.js";
import { pageCursorOf, pageTokenOf } from "./task-page-token.js";
import { TaskRunner } from "./task-runner.js";
import type { TaskRuns } from "./task-runs.js";
import { checkSubmission, type TaskSubmission } from "./task-submission.js";
import { systemTimerClock, type TimerClock } from "./timer-source.js";

export interface TaskQueueDeps {
  db: Kysely<Database>;
  runs: TaskRuns;
  ownerCaller: OwnerCaller;
  logger: Logger;
  clock?: TimerClock;
  /** Tasks running at once (default 4). */
  concurrency?: number;
  /** First retry's wait, doubling per attempt (default 2 s). */
  retryBackoffMs?: number;
  /** At most one heartbeat write per running task in this interval (default 5 s). */
  heartbeatIntervalMs?: number;
  /** Queued and running tasks one owner may have (default maxOpenTasksPerOwner). */
  maxOpenTasksPerOwner?: number;
  newId?: () => string;
}

const defaultPageSize = 50;
const maxPageSize = 500;

/**
 * The background queue (TasksService): tasks are submitted as their caller, run later as that caller
 * through the run engine, and kept with their result. A client key sees and cancels only its own
 * tasks (another's are "not found"); the admin sees all.
 */
export class TaskQueue {
  readonly runner: TaskRunner;
  private readonly db: Kysely<Database>;
  private readonly clock: TimerClock;
  private readonly newId: () => string;

  constructor(private readonly deps: TaskQueueDeps) {
    this.db = deps.db;
    this.clock = deps.clock ?? systemTimerClock;
    this.newId = deps.newId ?? randomUUID;
    this.runner = new TaskRunner({
      db: deps.db,
      runs: deps.runs,
      ownerCaller: deps.ownerCaller,
      logger: deps.logger,
      clock: this.clock,
      concurrency: deps.concurrency ?? 4,
      retryBackoffMs: deps.retryBackoffMs ?? 2000,
      heartbeatIntervalMs: deps.heartbeatIntervalMs ?? 5000,
    });
  }

  /** Closes out tasks a killed daemon left running and starts running due ones. */
  start(): Promise<void> {
    return this.runner.start();
  }

  /** Starts nothing more; resolves once the running tasks' ends are recorded. */
  stop(): Promise<void> {
    return this.runner.stop();
  }

  async submit(submission: TaskSubmission, caller: Caller): Promise<Task> {
    const now = this.clock.now();
    const checked = checkSubmission(submission, now);
    const taskId = submission.taskId || this.newId();
    if (submission.taskId && (await findTask(this.db, taskId)) !== undefined) {
      throw new GatewayError("invalid_request", `task_id: a task with id ${taskId} already exists`, { param: "task_id", code: "task_exists" });
    }
    const limit = this.deps.maxOpenTasksPerOwner ?? maxOpenTasksPerOwner;
    if ((await countOpenTasks(this.db, caller.id)) >= limit) {
      throw ownerLimitError(caller, "queued or running tasks", limit, "task", "task_limit_reached");
    }
    const parentRunId = submission.parentRunId || undefined;
    const parentCancelled = parentRunId !== undefined && (await this.parentStatus(parentRunId, caller)) === "cancelled";
    await insertTask(this.db, {
      task_id: taskId,
      owner: caller.id,
      // A key bound to an agent runs as that agent whatever the request says; the task shows the truth.
      agent_id: caller.agentId ?? (submission.agentId || null),
      run_spec: runSpecToJson(submission.spec),
      not_before: checked.notBefore,
      expires_at: checked.expiresAt ?? null,
      max_attempts: checked.maxAttempts,
      parent_run_id: parentRunId ?? null,
      state: parentCancelled ? "cancelled" : "queued",
      created_at: now,
      ...(parentCancelled && { finished_at: now, error_kind: "cancelled", error_message: parentCancelledReason(parentRunId) }),
    });
    this.runner.wake();
    return this.get(taskId, caller);
  }

  async get(taskId: string, caller: Caller): Promise<Task> {
    return taskFromRow(await this.visibleRow(taskId, caller));
  }

  /** Newest first, a page at a time; only the caller's own unless it is the admin. */
  async list(
    request: { pageSize: number; pageToken: string; states: readonly TaskState[] },
    caller: Caller,
  ): Promise<{ tasks: Task[]; nextPageToken: string }> {
    const pageSize = request.pageSize || defaultPageSize;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > maxPageSize) throw invalidRequest("page_size", `must be between 1 and ${maxPageSize}`);
    const rows = await listTasks(this.db, {
      owner: caller.kind === "admin" ? undefined : caller.id,
      states: request.states,
      limit: pageSize + 1,
      after: request.pageToken ? pageCursorOf(request.pageToken) : undefined,
    });
    const page = rows.slice(0, pageSize);
    const last = page.at(-1);
    return { tasks: page.map(taskFromRow), nextPageToken: rows.length > pageSize && last !== undefined ? pageTokenOf(last) : "" };
  }

  /** Cancels a queued task, or a running one's run (waiting until its end is recorded). A finished task is returned as it is. */
  async cancel(taskId: string, reason: string, caller: Caller): Promise<Task> {
    const why = reason || `cancelled by ${caller.kind === "admin" ? "the admin" : `API key ${caller.id}`}`;
    // Twice at most: a queued task may start between reading and cancelling it.
    for (let look = 0; look < 2; look += 1) {
      const row = await this.visibleRow(taskId, caller);
      if (row.state === "queued") {
        const patch = { state: "cancelled", finished_at: this.clock.now(), error_kind: "cancelled", error_message: why } as const;
        if (await updateTaskIf(this.db, taskId, { state: "queued" }, patch)) break;
      } else if (row.state === "running") {
        if (await this.runner.cancel(taskId, why)) break;
        // Running with nobody running it (its runner is gone): close it here.
        const patch = { state: "cancelled", finished_at: this.clock.now(), heartbeat_at: null, error_kind: "cancelled", error_message: why } as const;
        if (await updateTaskIf(this.db, taskId, { state: "running", attempt: row.attempts }, patch)) break;
      } else {
        break;
      }
    }
    this.runner.wake();
    return this.get(taskId, caller);
  }

  /** The task's row if the caller may see it; another key's task is "not found", so ids reveal nothing. */
  private async visibleRow(taskId: string, caller: Caller): Promise<TaskRow> {
    if (!taskId) throw invalidRequest("task_id", "is required");
    const row = await findTask(this.db, taskId);
    if (row === undefined || (caller.kind !== "admin" && row.owner !== caller.id)) {
      throw new GatewayError("not_found", `no task with id ${taskId}`, { param: "task_id", code: "task_not_found" });
    }
    return row;
  }

  /** The parent run's status, if the caller may see the run; otherwise the parent is "not found". */
  private async parentStatus(parentRunId: string, caller: Caller): Promise<string> {
    const parent = await this.deps.runs.runInfo(parentRunId);
    if (parent === undefined || (caller.kind !== "admin" && parent.callerId !== caller.id)) {
      throw new GatewayError("not_found", `parent_run_id: no run with id ${parentRunId}`, { param: "parent_run_id", code: "run_not_found" });
    }
    return parent.status;
  }
}
