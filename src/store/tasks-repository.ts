import { type Kysely, sql } from "kysely";
import type { NewTaskRow, TaskRow, TaskRowUpdate, TaskState } from "./automation-tables.js";
import type { Database } from "./tables.js";

// The background queue's table. State changes are conditional on the state the writer last saw, so a
// late writer (a run that ended after its task was cancelled, requeued or closed) never overwrites.

export async function insertTask(db: Kysely<Database>, row: NewTaskRow): Promise<void> {
  await db.insertInto("tasks").values(row).execute();
}

export async function findTask(db: Kysely<Database>, taskId: string): Promise<TaskRow | undefined> {
  return db.selectFrom("tasks").selectAll().where("task_id", "=", taskId).executeTakeFirst();
}

/** Where a page of tasks starts: after this task in newest-first order. */
export interface TaskCursor {
  createdAt: number;
  taskId: string;
}

/** Tasks newest first (ties by id), optionally only one owner's and only some states, after a cursor. */
export async function listTasks(
  db: Kysely<Database>,
  options: { owner: string | undefined; states: readonly TaskState[]; limit: number; after: TaskCursor | undefined },
): Promise<TaskRow[]> {
  let query = db.selectFrom("tasks").selectAll();
  if (options.owner !== undefined) query = query.where("owner", "=", options.owner);
  if (options.states.length > 0) query = query.where("state", "in", options.states);
  const after = options.after;
  if (after !== undefined) {
    query = query.where((eb) =>
      eb.or([eb("created_at", "<", after.createdAt), eb.and([eb("created_at", "=", after.createdAt), eb("task_id", "<", after.taskId)])]),
    );
  }
  return query.orderBy("created_at", "desc").orderBy("task_id", "desc").limit(options.limit).execute();
}

/** How many of `owner`'s tasks are queued or running. */
export async function countOpenTasks(db: Kysely<Database>, owner: string): Promise<number> {
  const row = await db
    .selectFrom("tasks")
    .select((eb) => eb.fn.countAll<number>().as("count"))
    .where("owner", "=", owner)
    .where("state", "in", ["queued", "running"])
    .executeTakeFirst();
  return Number(row?.count ?? 0);
}

/** Queued tasks due by `now`, earliest first. */
export async function dueTasks(db: Kysely<Database>, now: number, limit: number): Promise<TaskRow[]> {
  return db
    .selectFrom("tasks")
    .selectAll()
    .where("state", "=", "queued")
    .where("not_before", "<=", now)
    .orderBy("not_before")
    .orderBy("created_at")
    .orderBy("task_id")
    .limit(limit)
    .execute();
}

/** When the queue next has something to do: the earliest queued task's not_before and the earliest expiry. */
export async function nextQueuedTimes(db: Kysely<Database>): Promise<{ due: number | undefined; expiry: number | undefined }> {
  const row = await db
    .selectFrom("tasks")
    .select((eb) => [eb.fn.min("not_before").as("due"), eb.fn.min("expires_at").as("expiry")])
    .where("state", "=", "queued")
    .executeTakeFirst();
  const number = (value: unknown) => (value === null || value === undefined ? undefined : Number(value));
  return { due: number(row?.due), expiry: number(row?.expiry) };
}

/** Queued tasks whose expires_at has passed become expired. Returns how many. */
export async function expireOverdueTasks(db: Kysely<Database>, now: number): Promise<number> {
  const result = await db
    .updateTable("tasks")
    .set({ state: "expired", finished_at: now, error_kind: "expired", error_message: "the task was not started before it expired" })
    .where("state", "=", "queued")
    .where("expires_at", "<=", now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Takes a queued task to running as attempt `attempts + 1`; false when someone else changed it first. */
export async function claimTask(db: Kysely<Database>, task: TaskRow, now: number): Promise<boolean> {
  const result = await db
    .updateTable("tasks")
    .set({ state: "running", attempts: task.attempts + 1, started_at: task.started_at ?? now, heartbeat_at: now })
    .where("task_id", "=", task.task_id)
    .where("state", "=", "queued")
    .where("attempts", "=", task.attempts)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Changes a task that is still in `from` (and, when given, still on attempt `attempt`). Returns
 * whether it did: false when the task moved on meanwhile.
 */
export async function updateTaskIf(db: Kysely<Database>, taskId: string, from: { state: TaskState; attempt?: number }, patch: TaskRowUpdate): Promise<boolean> {
  let query = db.updateTable("tasks").set(patch).where("task_id", "=", taskId).where("state", "=", from.state);
  if (from.attempt !== undefined) query = query.where("attempts", "=", from.attempt);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function heartbeatTask(db: Kysely<Database>, taskId: string, at: number): Promise<void> {
  await db.updateTable("tasks").set({ heartbeat_at: at }).where("task_id", "=", taskId).where("state", "=", "running").execute();
}

/** Queued and running tasks of a parent run (to cancel with it). */
export async function openTasksOfParent(db: Kysely<Database>, parentRunId: string): Promise<TaskRow[]> {
  return db.selectFrom("tasks").selectAll().where("parent_run_id", "=", parentRunId).where("state", "in", ["queued", "running"]).execute();
}

/** Running tasks whose last sign of life (heartbeat, else start) is before `before`. */
export async function staleRunningTasks(db: Kysely<Database>, before: number): Promise<TaskRow[]> {
  return db
    .selectFrom("tasks")
    .selectAll()
    .where("state", "=", "running")
    .where(sql<number>`coalesce(heartbeat_at, started_at, created_at)`, "<", before)
    .execute();
}

/**
 * Closes out tasks a previous daemon left running (it was killed mid-run): failed with error kind
 * "interrupted". Queued tasks stay queued and run when due. Returns how many were closed.
 */
export async function closeInterruptedTasks(db: Kysely<Database>, now: number): Promise<number> {
  const result = await db
    .updateTable("tasks")
    .set({ state: "failed", finished_at: now, error_kind: "interrupted", error_message: "the daemon stopped before the task finished" })
    .where("state", "=", "running")
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
