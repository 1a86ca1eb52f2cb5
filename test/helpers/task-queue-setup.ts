import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import type { OwnerCaller } from "../../src/automation/owner-caller.js";
import { TaskQueue } from "../../src/automation/task-queue.js";
import type { TaskSubmission } from "../../src/automation/task-submission.js";
import { adminCaller, type Caller } from "../../src/identity/caller.js";
import { openSqliteStore, type Store } from "../../src/store/open-store.js";
import { ManualTimerClock, type RunScript, ScriptedTaskRuns } from "./scripted-task-runs.js";

export const keyCaller = (id: string): Caller => ({ id, kind: "api_key", scopes: new Set(["chat.create"]) });

const cleanups: (() => Promise<void>)[] = [];

/** Stops every queue setupTaskQueue made (cancelling their runs, as the daemon's drain would) and closes their stores. */
export async function stopTaskQueues(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}

/** A task queue on a real SQLite file, with a hand-moved clock and scripted runs. */
export async function setupTaskQueue(options: { concurrency?: number; script?: RunScript; ownerCaller?: OwnerCaller; maxOpenTasksPerOwner?: number } = {}) {
  const store: Store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), "palyra-tasks-")), "palyra.sqlite"));
  const clock = new ManualTimerClock();
  const runs = new ScriptedTaskRuns(clock, options.script);
  const queue = new TaskQueue({
    db: store.db,
    runs,
    ownerCaller: options.ownerCaller ?? (async (owner) => (owner === "admin" ? adminCaller : keyCaller(owner))),
    logger: pino({ level: "silent" }),
    clock,
    concurrency: options.concurrency ?? 4,
    retryBackoffMs: 1000,
    ...(options.maxOpenTasksPerOwner !== undefined && { maxOpenTasksPerOwner: options.maxOpenTasksPerOwner }),
  });
  cleanups.push(async () => {
    const stopped = queue.stop();
    runs.cancelAll("the test ended");
    await stopped;
    await store.close();
  });
  const submit = (prompt: string, fields: Omit<TaskSubmission, "spec"> = {}, caller = adminCaller) => queue.submit({ spec: { prompt }, ...fields }, caller);
  const state = async (taskId: string) => (await queue.get(taskId, adminCaller)).state;
  return { store, clock, runs, queue, submit, state, settle: () => queue.runner.settled() };
}
