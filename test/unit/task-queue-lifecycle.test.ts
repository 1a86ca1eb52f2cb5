import { afterEach, describe, expect, it } from "vitest";
import { runSpecToJson } from "../../src/automation/run-spec.js";
import { retryDelayMs, taskEndPatch } from "../../src/automation/task-outcome.js";
import { taskStallWatch } from "../../src/automation/task-stall-watch.js";
import { adminCaller } from "../../src/identity/caller.js";
import { GatewayError } from "../../src/shared/errors.js";
import type { NewTaskRow, TaskRow } from "../../src/store/automation-tables.js";
import { findTask, insertTask, updateTaskIf } from "../../src/store/tasks-repository.js";
import { failed, succeeded } from "../helpers/scripted-task-runs.js";
import { keyCaller, setupTaskQueue as setup, stopTaskQueues } from "../helpers/task-queue-setup.js";

afterEach(stopTaskQueues);

const row = (fields: Partial<NewTaskRow> & Pick<NewTaskRow, "task_id" | "created_at">): NewTaskRow => ({
  owner: "admin",
  agent_id: null,
  run_spec: runSpecToJson({ prompt: fields.task_id }),
  not_before: fields.created_at,
  expires_at: null,
  max_attempts: 1,
  parent_run_id: null,
  state: "queued",
  ...fields,
});

describe("the task queue across a stop and a start", () => {
  it("closes out tasks a killed daemon left running as interrupted; queued ones run when due", async () => {
    const { store, clock, runs, queue, settle } = await setup();
    const now = clock.now();
    await insertTask(store.db, row({ task_id: "was-running", created_at: now - 5000, state: "running", attempts: 1, started_at: now - 4000 }));
    await insertTask(store.db, row({ task_id: "was-queued", created_at: now - 5000, not_before: now + 1000 }));
    await queue.start();
    await settle();
    expect(await queue.get("was-running", adminCaller)).toMatchObject({
      state: "failed",
      errorKind: "interrupted",
      errorMessage: "the daemon stopped before the task finished",
    });
    clock.advance(1000);
    await settle();
    expect(await queue.get("was-queued", adminCaller)).toMatchObject({ state: "succeeded", resultText: "was-queued" });
    expect(runs.runs.map((run) => run.prompt)).toEqual(["was-queued"]);
  });

  it("stops starting tasks at stop(), and records a running task whose run the drain cancelled", async () => {
    const { clock, runs, queue, submit, settle } = await setup({ script: () => "hang" });
    await queue.start();
    const running = await submit("in flight");
    const later = await submit("later", { notBefore: clock.now() + 1000 });
    await settle();
    const stopped = queue.stop();
    runs.cancelAll("the daemon is shutting down");
    await stopped;
    expect(await queue.get(running.taskId, adminCaller)).toMatchObject({ state: "failed", errorKind: "interrupted" });
    expect(clock.pending).toEqual([]);
    clock.advance(5000);
    expect(await queue.get(later.taskId, adminCaller)).toMatchObject({ state: "queued", attempts: 0 });
  });

  it("fails the task of a key revoked since it was submitted, without running it", async () => {
    const revoked = new GatewayError("auth", "API key key-1 has been revoked", { code: "api_key_revoked" });
    const { runs, queue, submit, settle } = await setup({
      ownerCaller: async (owner) => {
        if (owner === "key-1") throw revoked;
        return adminCaller;
      },
    });
    await queue.start();
    const task = await submit("as a revoked key", { maxAttempts: 3 }, keyCaller("key-1"));
    await settle();
    expect(await queue.get(task.taskId, adminCaller)).toMatchObject({ state: "failed", attempts: 1, errorKind: "auth", errorMessage: revoked.message });
    expect(runs.runs).toEqual([]);
  });

  it("puts back a task whose run the stopping daemon refused, without spending an attempt", () => {
    const task = { not_before: 100, attempts: 0, requeues: 0, max_attempts: 1, expires_at: null, run_id: null, result_text: null } as unknown as TaskRow;
    const refused = failed(new GatewayError("unavailable", "the daemon is shutting down"));
    const patch = taskEndPatch(task, refused, { attempt: 1, now: 500, retryBackoffMs: 1000, cancelReason: undefined, stopping: true });
    expect(patch).toMatchObject({ state: "queued", attempts: 0, not_before: 100 });
  });

  it("doubles the retry wait per attempt, up to ten minutes", () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(attempt, 1000))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelayMs(16, 1000)).toBe(600_000);
  });
});

describe("stalled tasks", () => {
  it("requeues a task once when the watchdog cancels its run as stalled, then fails it as stalled", async () => {
    const stalled = new GatewayError("cancelled", "stalled: no progress for 120000 ms");
    const { runs, queue, submit, settle } = await setup({ script: () => failed(stalled) });
    await queue.start();
    const task = await submit("hangs upstream");
    await settle();
    expect(await queue.get(task.taskId, adminCaller)).toMatchObject({ state: "failed", errorKind: "stalled", requeues: 1, attempts: 2 });
    expect(runs.runs).toHaveLength(2);
  });

  it("gives the watchdog the stale running tasks; remediation cancels the run, or requeues a task with none, then fails it", async () => {
    const { store, clock, runs, queue, submit, settle } = await setup({ script: (run, attempt) => (attempt === 1 ? "hang" : succeeded(run.prompt)) });
    const watch = taskStallWatch(queue, store.db, clock.now);
    await queue.start();
    const task = await submit("slow");
    await settle();
    clock.advance(10_000);
    const stale = await watch.stale(clock.now() - 5000);
    expect(stale).toEqual([{ id: task.taskId, runId: "run-1", summary: expect.stringContaining(task.taskId) }]);
    expect(await watch.remediate(task.taskId)).toContain("cancelled the task's run");
    await settle();
    expect(runs.runs[0]?.cancelledWith).toMatch(/^stalled/);
    expect(await queue.get(task.taskId, adminCaller)).toMatchObject({ state: "succeeded", requeues: 1, runId: "run-2" });
    expect(await watch.running(task.taskId)).toBe(false);

    // Running with no run here at all (its runner is gone): requeued once, then failed.
    await insertTask(store.db, row({ task_id: "orphan", created_at: clock.now() - 9000, state: "running", attempts: 1, started_at: clock.now() - 9000 }));
    expect((await watch.stale(clock.now() - 5000)).map((entry) => entry.id)).toEqual(["orphan"]);
    expect(await watch.remediate("orphan")).toBe("requeued the stalled task");
    expect(await findTask(store.db, "orphan")).toMatchObject({ state: "queued", requeues: 1 });
    await updateTaskIf(store.db, "orphan", { state: "queued" }, { state: "running" });
    expect(await watch.remediate("orphan")).toContain("failed the stalled task");
    expect(await findTask(store.db, "orphan")).toMatchObject({ state: "failed", error_kind: "stalled" });
  });
});

describe("who sees which task", () => {
  it("shows and cancels a key's own tasks only; the admin sees all, newest first, a page at a time", async () => {
    const { clock, queue, submit } = await setup();
    const later = { notBefore: clock.now() + 60_000 };
    const mine = await submit("mine", later, keyCaller("key-1"));
    clock.advance(1);
    const theirs = await submit("theirs", later, keyCaller("key-2"));
    clock.advance(1);
    const admins = await submit("admin's", later);

    expect((await queue.list({ pageSize: 0, pageToken: "", states: [] }, keyCaller("key-1"))).tasks.map((task) => task.taskId)).toEqual([mine.taskId]);
    await expect(queue.get(theirs.taskId, keyCaller("key-1"))).rejects.toMatchObject({ kind: "not_found", param: "task_id" });
    await expect(queue.cancel(theirs.taskId, "", keyCaller("key-1"))).rejects.toMatchObject({ kind: "not_found" });
    expect(await queue.cancel(mine.taskId, "", keyCaller("key-1"))).toMatchObject({ state: "cancelled", errorMessage: "cancelled by API key key-1" });

    const first = await queue.list({ pageSize: 2, pageToken: "", states: [] }, adminCaller);
    expect(first.tasks.map((task) => task.taskId)).toEqual([admins.taskId, theirs.taskId]);
    const second = await queue.list({ pageSize: 2, pageToken: first.nextPageToken, states: [] }, adminCaller);
    expect(second).toMatchObject({ tasks: [{ taskId: mine.taskId }], nextPageToken: "" });
    expect((await queue.list({ pageSize: 0, pageToken: "", states: ["queued"] }, adminCaller)).tasks).toHaveLength(2);
    await expect(queue.list({ pageSize: 501, pageToken: "", states: [] }, adminCaller)).rejects.toMatchObject({ param: "page_size" });
    await expect(queue.list({ pageSize: 0, pageToken: "garbage", states: [] }, adminCaller)).rejects.toMatchObject({ param: "page_token" });
  });

  it("names the field a bad submission gets wrong", async () => {
    const { clock, queue } = await setup();
    const now = clock.now();
    const refusal = (spec: object, fields: object = {}) => queue.submit({ spec, ...fields }, adminCaller).catch((error: GatewayError) => error.param);
    expect(await refusal({})).toBe("input");
    expect(await refusal({ prompt: "a", envelope: { messages: [], tools: [], stop: [], metadata: {} } })).toBe("input");
    expect(await refusal({ envelope: { messages: [], tools: [], stop: [], metadata: {} } })).toBe("envelope.messages");
    expect(await refusal({ prompt: "a", maxTokens: 0 })).toBe("max_tokens");
    expect(await refusal({ prompt: "a" }, { maxAttempts: 17 })).toBe("max_attempts");
    expect(await refusal({ prompt: "a" }, { expiresAt: now - 1 })).toBe("expires_at");
    expect(await refusal({ prompt: "a" }, { notBefore: now + 5000, expiresAt: now + 5000 })).toBe("expires_at");
    expect(await refusal({ prompt: "a" }, { taskId: "not ok!" })).toBe("task_id");
    await queue.submit({ taskId: "mine", spec: { prompt: "a" } }, adminCaller);
    expect(await refusal({ prompt: "a" }, { taskId: "mine" })).toBe("task_id");
  });
});
