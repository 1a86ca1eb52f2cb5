import type { Kysely } from "kysely";
import type { Database } from "../store/tables.js";
import { findTask, staleRunningTasks, updateTaskIf } from "../store/tasks-repository.js";
import { type StallWatched, stalledReason } from "./stall-watch.js";
import { maxStallRequeues } from "./task-outcome.js";
import type { TaskQueue } from "./task-queue.js";

/**
 * The watchdog's view of tasks: running tasks with no heartbeat for a while. Remediation cancels the
 * task's run as stalled when it has one here (the task's own end then requeues it once, then fails
 * it as "stalled"); a task with no run to cancel is requeued once, then failed, directly.
 */
export function taskStallWatch(queue: TaskQueue, db: Kysely<Database>, now: () => number = Date.now): StallWatched {
  return {
    objectKind: "task",
    async stale(before) {
      const rows = await staleRunningTasks(db, before);
      return rows.map((row) => ({
        id: row.task_id,
        // The attempt running here now, else the row's (a requeued task's row still names its last run).
        runId: queue.runner.running(row.task_id)?.runId ?? row.run_id ?? undefined,
        summary: `task ${row.task_id} (attempt ${row.attempts}) has shown no progress since ${new Date(Number(row.heartbeat_at ?? row.started_at ?? row.created_at)).toISOString()}`,
      }));
    },
    async remediate(id) {
      if (queue.runner.cancelRun(id, `${stalledReason}: the task's run showed no progress`)) {
        return "cancelled the task's run as stalled; the task is requeued once, then failed";
      }
      const row = await findTask(db, id);
      if (row?.state !== "running") return "nothing to do: the task is no longer running";
      const at = now();
      if (row.requeues < maxStallRequeues) {
        const requeued = await updateTaskIf(
          db,
          id,
          { state: "running", attempt: row.attempts },
          {
            state: "queued",
            not_before: at,
            heartbeat_at: null,
            requeues: row.requeues + 1,
            error_kind: "stalled",
            error_message: "the task showed no progress and was requeued",
          },
        );
        queue.runner.wake();
        return requeued ? "requeued the stalled task" : "nothing to do: the task moved on";
      }
      const failed = await updateTaskIf(
        db,
        id,
        { state: "running", attempt: row.attempts },
        {
          state: "failed",
          finished_at: at,
          heartbeat_at: null,
          error_kind: "stalled",
          error_message: `the task showed no progress again after ${row.requeues} requeue${row.requeues === 1 ? "" : "s"}`,
        },
      );
      return failed ? "failed the stalled task (already requeued once)" : "nothing to do: the task moved on";
    },
    async running(id) {
      return (await findTask(db, id))?.state === "running";
    },
  };
}
