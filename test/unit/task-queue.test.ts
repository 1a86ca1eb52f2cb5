import { afterEach, describe, expect, it } from "vitest";
import { adminCaller } from "../../src/identity/caller.js";
import { GatewayError } from "../../src/shared/errors.js";
import { failed, succeeded } from "../helpers/scripted-task-runs.js";
import { keyCaller, setupTaskQueue as setup, stopTaskQueues } from "../helpers/task-queue-setup.js";

afterEach(stopTaskQueues);

describe("the task queue's timing", () => {
  it("runs tasks in due order, sleeping on one timer until the next is due", async () => {
    const { clock, runs, queue, submit, settle } = await setup();
    const t0 = clock.now();
    await queue.start();
    await submit("third", { notBefore: t0 + 30_000 });
    await submit("first", { notBefore: t0 + 10_000 });
    await submit("second", { notBefore: t0 + 20_000 });
    await settle();
    expect(runs.runs).toEqual([]);
    expect(clock.pending).toEqual([t0 + 10_000]);

    clock.advance(10_000);
    await settle();
    expect(runs.runs.map((run) => run.prompt)).toEqual(["first"]);
    expect(clock.pending).toEqual([t0 + 20_000]);
    clock.advance(25_000);
    await settle();
    clock.advance(0);
    await settle();
    expect(runs.runs.map((run) => [run.prompt, run.at - t0])).toEqual([
      ["first", 10_000],
      ["second", 35_000],
      ["third", 35_000],
    ]);
    expect(clock.pending).toEqual([]);
  });

  it("expires a task the daemon was down for, and one the full queue could not start in time", async () => {
    const { clock, runs, queue, submit, state, settle } = await setup({ concurrency: 1, script: () => "hang" });
    const t0 = clock.now();
    // Submitted while the queue is not running (as if the daemon were down until after its expiry).
    const missed = await submit("missed", { notBefore: t0 + 1000, expiresAt: t0 + 2000 });
    clock.advance(5000);
    await queue.start();
    await settle();
    expect(await queue.get(missed.taskId, adminCaller)).toMatchObject({ state: "expired", attempts: 0, errorKind: "expired" });

    const blocker = await submit("blocker");
    const waiting = await submit("waiting", { expiresAt: clock.now() + 3000 });
    await settle();
    expect(await state(waiting.taskId)).toBe("queued");
    // The only timer is the waiting task's expiry: the busy slot wakes the queue when it frees.
    expect(clock.pending).toEqual([clock.now() + 3000]);
    clock.advance(3000);
    await settle();
    expect(await state(waiting.taskId)).toBe("expired");
    expect(runs.runs.map((run) => run.prompt)).toEqual(["blocker"]);
    expect(await state(blocker.taskId)).toBe("running");
  });

  it("retries transient failures with a doubling backoff, up to max_attempts", async () => {
    const unavailable = new GatewayError("unavailable", "the upstream is down");
    const { clock, runs, queue, submit, settle } = await setup({
      script: (run, attempt) =>
        run.prompt === "flaky" && attempt < 3 ? failed(unavailable) : run.prompt === "down" ? failed(unavailable) : succeeded(run.prompt),
    });
    const t0 = clock.now();
    await queue.start();
    const flaky = await submit("flaky", { maxAttempts: 3 });
    await settle();
    expect(await queue.get(flaky.taskId, adminCaller)).toMatchObject({ state: "queued", attempts: 1, notBefore: t0 + 1000, errorKind: "unavailable" });
    clock.advance(1000);
    await settle();
    expect(await queue.get(flaky.taskId, adminCaller)).toMatchObject({ state: "queued", attempts: 2, notBefore: t0 + 1000 + 2000 });
    clock.advance(2000);
    await settle();
    const done = await queue.get(flaky.taskId, adminCaller);
    expect(done).toMatchObject({ state: "succeeded", attempts: 3, resultText: "flaky", errorKind: undefined, runId: runs.runs.at(-1)?.runId });
    expect(runs.runs.map((run) => run.at - t0)).toEqual([0, 1000, 3000]);

    const down = await submit("down", { maxAttempts: 2 });
    await settle();
    clock.advance(1000);
    await settle();
    expect(await queue.get(down.taskId, adminCaller)).toMatchObject({
      state: "failed",
      attempts: 2,
      errorKind: "unavailable",
      errorMessage: "the upstream is down",
    });
  });

  it("fails a budget refusal at once, naming the policy, without retrying", async () => {
    const refusal = new GatewayError("budget_exceeded", 'budget "daily" (tokens, daily) allows 0 tokens more');
    const { runs, queue, submit, settle } = await setup({ script: () => ({ refused: refusal }) });
    await queue.start();
    const task = await submit("over budget", { maxAttempts: 5 });
    await settle();
    expect(await queue.get(task.taskId, adminCaller)).toMatchObject({
      state: "failed",
      attempts: 1,
      errorKind: "budget_exceeded",
      errorMessage: expect.stringContaining('budget "daily"'),
      runId: undefined,
    });
    expect(runs.runs).toHaveLength(1);
  });
});

describe("the task queue and parent runs", () => {
  it("cancels queued and running tasks when their parent run is cancelled, and refuses to run under a cancelled parent", async () => {
    const { clock, runs, queue, submit, settle } = await setup({
      script: (run) => (run.prompt === "parent" || run.prompt === "child now" ? "hang" : succeeded(run.prompt)),
    });
    runs.ledger.set("parent-1", { callerId: "admin", status: "running" });
    runs.ledger.set("parent-2", { callerId: "admin", status: "running" });
    await queue.start();
    const later = await submit("child later", { parentRunId: "parent-1", notBefore: clock.now() + 60_000 });
    const now = await submit("child now", { parentRunId: "parent-1" });
    await settle();
    expect(runs.runs.map((run) => run.prompt)).toEqual(["child now"]);

    runs.endRun("parent-1", "cancelled");
    await settle();
    const reason = "the parent run parent-1 was cancelled";
    expect(await queue.get(later.taskId, adminCaller)).toMatchObject({ state: "cancelled", errorMessage: reason, attempts: 0 });
    expect(await queue.get(now.taskId, adminCaller)).toMatchObject({ state: "cancelled", errorMessage: reason, runId: "run-1" });
    expect(runs.runs[0]?.cancelledWith).toBe(reason);
    // Submitted under a parent already cancelled: cancelled at once.
    expect(await submit("too late", { parentRunId: "parent-1" })).toMatchObject({ state: "cancelled", errorMessage: reason });

    // A parent cancelled while nobody listened (the daemon was down): the task is cancelled when it comes due.
    const due = await submit("due later", { parentRunId: "parent-2", notBefore: clock.now() + 1000 });
    runs.ledger.set("parent-2", { callerId: "admin", status: "cancelled" });
    await settle();
    clock.advance(1000);
    await settle();
    expect(await queue.get(due.taskId, adminCaller)).toMatchObject({ state: "cancelled", errorMessage: "the parent run parent-2 was cancelled" });
    expect(runs.runs).toHaveLength(1);
  });

  it("refuses a caller's task past its limit of open tasks, naming it, and takes more once one ended", async () => {
    const { submit, queue, clock } = await setup({ maxOpenTasksPerOwner: 2 });
    const later = { notBefore: clock.now() + 60_000 };
    const first = await submit("one", later, keyCaller("key-1"));
    await submit("two", later, keyCaller("key-1"));
    await expect(submit("three", later, keyCaller("key-1"))).rejects.toMatchObject({
      kind: "rate_limit",
      param: "task",
      code: "task_limit_reached",
      message: expect.stringContaining("API key key-1 already has 2 queued or running tasks"),
    });
    // Another caller's limit is its own.
    await expect(submit("other", later, keyCaller("key-2"))).resolves.toMatchObject({ state: "queued" });
    await queue.cancel(first.taskId, "", keyCaller("key-1"));
    await expect(submit("three", later, keyCaller("key-1"))).resolves.toMatchObject({ state: "queued" });
  });

  it("accepts only a parent run the submitter may see", async () => {
    const { runs, submit } = await setup();
    runs.ledger.set("admins-run", { callerId: "admin", status: "running" });
    runs.ledger.set("keys-run", { callerId: "key-1", status: "succeeded" });
    await expect(submit("child", { parentRunId: "admins-run" }, keyCaller("key-1"))).rejects.toMatchObject({ kind: "not_found", param: "parent_run_id" });
    await expect(submit("child", { parentRunId: "keys-run" }, keyCaller("key-1"))).resolves.toMatchObject({ state: "queued", owner: "key-1" });
    await expect(submit("child", { parentRunId: "keys-run" }, adminCaller)).resolves.toMatchObject({ state: "queued" });
  });
});
