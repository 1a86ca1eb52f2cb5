import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CronJobs } from "../../src/automation/cron-jobs.js";
import type { JobDefinition } from "../../src/automation/job-definition.js";
import { jobRunStallWatch } from "../../src/automation/job-run-stall-watch.js";
import { JobScheduler } from "../../src/automation/scheduler.js";
import { adminCaller, type Caller } from "../../src/identity/caller.js";
import { GatewayError } from "../../src/shared/errors.js";
import { findCronJob, updateCronJob } from "../../src/store/cron-jobs-repository.js";
import { insertJobRun, listJobRuns } from "../../src/store/job-runs-repository.js";
import { openSqliteStore, type Store } from "../../src/store/open-store.js";
import { completed, FakeEngine, FakeTimers } from "../helpers/fake-scheduler-parts.js";
import { ManualClock } from "../helpers/manual-clock.js";

// The scheduler with a real SQLite store, a manual clock, fake timers and an engine whose runs last
// until the test ends them: minutes of schedule pass in no time, and every step waits for its event.

const start = Date.parse("2026-05-01T00:00:00Z");
let store: Store;
let clock: ManualClock;
let timers: FakeTimers;
let engine: FakeEngine;
let scheduler: JobScheduler;
let jobs: CronJobs;

function definition(overrides: Partial<JobDefinition> = {}): JobDefinition {
  return {
    jobId: "job",
    name: "a job",
    run: { prompt: "report" },
    agentId: "agent-7",
    enabled: true,
    schedule: { kind: "every", everyMs: 60_000 },
    concurrency: "forbid",
    misfire: "skip",
    maxCatchUp: 3,
    maxAttempts: 1,
    backoffMs: 1000,
    jitterMs: 0,
    maxRuns: undefined,
    ...overrides,
  };
}

function newScheduler(): JobScheduler {
  return new JobScheduler({
    db: store.db,
    engine: engine.asEngine(),
    ownerCaller: async () => adminCaller,
    logger: pino({ level: "silent" }),
    now: clock.now,
    timers,
    heartbeatIntervalMs: 1000,
  });
}

beforeEach(async () => {
  store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), "palyra-cron-")), "palyra.sqlite"));
  clock = new ManualClock(start);
  timers = new FakeTimers(clock);
  engine = new FakeEngine();
  scheduler = newScheduler();
  jobs = new CronJobs({ db: store.db, scheduler, now: clock.now, defaultTimezone: "UTC" });
});

afterEach(async () => {
  scheduler.stop();
  for (const run of engine.runs) run.end({ type: "cancelled", reason: "test over" });
  await scheduler.settled();
  await store.close();
});

/** Fires the next armed timer and waits until its scan has recorded its ticks. */
async function fireNextTimer(): Promise<number> {
  const due = timers.nextDueAt;
  if (due === undefined) throw new Error("no timer armed");
  timers.advanceTo(due);
  await scheduler.idle();
  return due;
}

// Oldest tick first (rows recorded at one instant of the manual clock have no other order).
const runsOf = async (jobId = "job") =>
  (await listJobRuns(store.db, jobId, { limit: 100 })).sort((a, b) => a.tick_at - b.tick_at || a.attempt - b.attempt || a.started_at - b.started_at);

describe("the scheduler", () => {
  it("sleeps on one timer until the next tick, then records a job run and starts the run as the job's agent", async () => {
    await jobs.create(adminCaller, definition());
    await scheduler.start();
    await scheduler.idle();
    expect(timers.armed).toBe(1);
    expect(timers.nextDueAt).toBe(start + 60_000);
    expect(engine.runs).toHaveLength(0);

    await fireNextTimer();
    const run = await engine.nextStart();
    expect(run.input.agentId).toBe("agent-7");
    expect(run.input.messages[0]?.parts[0]).toEqual({ type: "text", text: "report" });
    expect((await runsOf())[0]).toMatchObject({ status: "running", tick_at: start + 60_000, attempt: 1 });

    run.end(completed());
    await scheduler.settled();
    expect((await runsOf())[0]).toMatchObject({ status: "succeeded", run_id: "run-1", input_tokens: 7, output_tokens: 3, cost_usd: 0.5 });
    expect(await findCronJob(store.db, "job")).toMatchObject({ run_count: 1, last_run_at: start + 60_000, next_run_at: start + 120_000 });
    expect(timers.nextDueAt).toBe(start + 120_000);
  });

  it("arms its timer for a tick far ahead, reading only the jobs due soon, and fires it then", async () => {
    await jobs.create(adminCaller, definition({ jobId: "hourly", schedule: { kind: "every", everyMs: 3_600_000 } }));
    await jobs.create(adminCaller, definition({ jobId: "daily", schedule: { kind: "every", everyMs: 86_400_000 } }));
    await scheduler.start();
    await scheduler.idle();
    expect(timers.armed).toBe(1);
    expect(timers.nextDueAt).toBe(start + 3_600_000);
    await fireNextTimer();
    const run = await engine.nextStart();
    run.end(completed());
    await scheduler.settled();
    expect((await runsOf("hourly")).map((row) => row.status)).toEqual(["succeeded"]);
    expect(await runsOf("daily")).toEqual([]);
    expect(timers.nextDueAt).toBe(start + 7_200_000);
  });

  it("refuses a job whose run the engine would refuse, when it is made, naming the envelope's field", async () => {
    const envelope = {
      messages: [{ role: "user" as const, parts: [{ type: "text" as const, text: "hi" }] }],
      tools: [],
      stop: ["1", "2", "3", "4", "5"],
      metadata: {},
    };
    await expect(jobs.create(adminCaller, definition({ jobId: "bad-envelope", run: { envelope } }))).rejects.toMatchObject({
      kind: "invalid_request",
      param: "envelope.stop",
    });
    await expect(jobs.create(adminCaller, definition({ jobId: "no-input", run: {} }))).rejects.toMatchObject({ param: "job.run" });
  });

  it("refuses an owner's job past its limit of jobs, naming it", async () => {
    const limited = new CronJobs({ db: store.db, scheduler, now: clock.now, defaultTimezone: "UTC", maxJobsPerOwner: 1 });
    const key: Caller = { id: "key-1", kind: "api_key", scopes: new Set(["cron.manage"]) };
    await limited.create(key, definition({ jobId: "first" }));
    await expect(limited.create(key, definition({ jobId: "second" }))).rejects.toMatchObject({
      kind: "rate_limit",
      param: "job",
      code: "job_limit_reached",
      message: expect.stringContaining("API key key-1 already has 1 jobs"),
    });
    await expect(limited.create(adminCaller, definition({ jobId: "admins" }))).resolves.toMatchObject({ owner: "admin" });
  });

  it("wakes when a job is created or changed, and delays a tick by its deterministic jitter", async () => {
    await scheduler.start();
    await scheduler.idle();
    expect(timers.armed).toBe(0);
    await jobs.create(adminCaller, definition({ jitterMs: 30_000 }));
    await scheduler.idle();
    const due = timers.nextDueAt ?? 0;
    expect(due).toBeGreaterThanOrEqual(start + 60_000);
    expect(due).toBeLessThan(start + 90_000);
    await jobs.update(adminCaller, definition({ jitterMs: 30_000, enabled: false }));
    await scheduler.idle();
    expect(timers.armed).toBe(0);
  });

  it("forbid: a tick while the run is active is recorded as skipped", async () => {
    await jobs.create(adminCaller, definition());
    await scheduler.start();
    await fireNextTimer();
    const first = await engine.nextStart();
    await fireNextTimer();
    expect((await runsOf()).map((run) => [run.status, run.reason])).toEqual([
      ["running", null],
      ["skipped", "concurrency_forbid"],
    ]);
    first.end(completed());
  });

  it("replace: the active run is cancelled and the new one starts", async () => {
    await jobs.create(adminCaller, definition({ concurrency: "replace" }));
    await scheduler.start();
    await fireNextTimer();
    const first = await engine.nextStart();
    await fireNextTimer();
    const second = await engine.nextStart();
    expect(first.cancelReason).toMatch(/replaced/);
    expect(second.runId).toBe("run-2");
    expect((await runsOf()).map((run) => [run.status, run.reason])).toEqual([
      ["cancelled", "cancelled"],
      ["running", null],
    ]);
  });

  it("queue_one: one tick waits for the active run, a further one is skipped", async () => {
    await jobs.create(adminCaller, definition({ concurrency: "queue_one" }));
    await scheduler.start();
    await fireNextTimer();
    const first = await engine.nextStart();
    const queuedTick = await fireNextTimer();
    await fireNextTimer();
    expect((await runsOf()).map((run) => [run.status, run.reason])).toEqual([
      ["running", null],
      ["skipped", "concurrency_queue_full"],
    ]);
    first.end(completed());
    const second = await engine.nextStart();
    expect((await runsOf()).find((run) => run.run_id === null && run.status === "running")).toMatchObject({ tick_at: queuedTick });
    second.end(completed());
  });

  it("retries a transient failure after the backoff, doubling, up to max_attempts", async () => {
    await jobs.create(adminCaller, definition({ maxAttempts: 3, backoffMs: 5000, schedule: { kind: "every", everyMs: 3_600_000 } }));
    await scheduler.start();
    const tick = await fireNextTimer();
    (await engine.nextStart()).end({ type: "failed", error: new GatewayError("unavailable", "upstream down") });
    await scheduler.settled();
    expect(timers.nextDueAt).toBe(tick + 5000);
    await fireNextTimer();
    (await engine.nextStart()).end({ type: "failed", error: new GatewayError("rate_limit", "slow down") });
    await scheduler.settled();
    expect(timers.nextDueAt).toBe(tick + 5000 + 10_000);
    await fireNextTimer();
    (await engine.nextStart()).end({ type: "failed", error: new GatewayError("unavailable", "still down") });
    await scheduler.settled();
    // Three attempts of one tick; the next timer is the schedule's, an hour on.
    expect((await runsOf()).map((run) => [run.tick_at, run.attempt, run.reason])).toEqual([
      [tick, 1, "unavailable"],
      [tick, 2, "rate_limit"],
      [tick, 3, "unavailable"],
    ]);
    expect(timers.nextDueAt).toBe(tick + 3_600_000);
  });

  it("records a budget refusal as a skip naming the policy, and never retries it", async () => {
    await jobs.create(adminCaller, definition({ maxAttempts: 5 }));
    await scheduler.start();
    engine.refuse = new GatewayError("budget_exceeded", 'budget "daily-tokens" (tokens, daily) allows 0 tokens more');
    const tick = await fireNextTimer();
    await scheduler.settled();
    expect((await runsOf())[0]).toMatchObject({ status: "skipped", reason: "budget_exceeded", message: expect.stringContaining("daily-tokens") });
    expect(timers.nextDueAt).toBe(tick + 60_000);
  });

  it("stops after max_runs runs, and an at job disables itself once fired", async () => {
    await jobs.create(adminCaller, definition({ maxRuns: 2 }));
    await jobs.create(adminCaller, definition({ jobId: "once", schedule: { kind: "at", atMs: start + 90_000 } }));
    await scheduler.start();
    for (let index = 0; index < 3; index++) {
      await fireNextTimer();
      for (const run of engine.runs) run.end(completed());
      await scheduler.settled();
    }
    expect((await runsOf()).map((run) => run.status)).toEqual(["succeeded", "succeeded"]);
    expect(await findCronJob(store.db, "job")).toMatchObject({ enabled: 0, next_run_at: null, run_count: 2 });
    expect((await runsOf("once")).map((run) => [run.tick_at, run.status])).toEqual([[start + 90_000, "succeeded"]]);
    expect(await findCronJob(store.db, "once")).toMatchObject({ enabled: 0, next_run_at: null });
    expect(timers.armed).toBe(0);
  });

  it("survives a job that throws: the others still fire", async () => {
    await jobs.create(adminCaller, definition({ jobId: "broken" }));
    await jobs.create(adminCaller, definition({ jobId: "fine" }));
    // A row no definition check would let in: its schedule throws when computed.
    await updateCronJob(store.db, "broken", { schedule_kind: "cron", cron_expression: "not a cron", timezone: "UTC" });
    await scheduler.start();
    await fireNextTimer();
    (await engine.nextStart()).end(completed());
    await scheduler.settled();
    expect((await runsOf("fine")).map((run) => run.status)).toEqual(["succeeded"]);
    expect(timers.armed).toBe(1);
  });

  describe("after a downtime", () => {
    async function downFor(ms: number, misfire: "skip" | "catch_up") {
      await jobs.create(adminCaller, definition({ misfire, concurrency: "queue_one" }));
      // The daemon stops; its clock moves on; a new one starts over the same store.
      scheduler.stop();
      clock.advance(ms);
      scheduler = newScheduler();
      await scheduler.start();
      await scheduler.idle();
    }

    it("skip: one skipped record says how many ticks were missed, and the schedule goes on from now", async () => {
      await downFor(10 * 60_000 + 30_000, "skip");
      expect((await runsOf()).map((run) => [run.status, run.reason, run.message])).toEqual([
        ["skipped", "misfire_skipped", "10 tick(s) missed while the daemon was down were skipped (misfire skip)"],
      ]);
      expect(engine.runs).toHaveLength(0);
      expect(timers.nextDueAt).toBe(start + 11 * 60_000);
    });

    it("catch_up: the latest max_catch_up ticks run one at a time, the rest are one skip", async () => {
      await downFor(10 * 60_000 + 30_000, "catch_up");
      const first = await engine.nextStart();
      expect(engine.runs).toHaveLength(1);
      first.end(completed());
      const second = await engine.nextStart();
      second.end(completed());
      (await engine.nextStart()).end(completed());
      await scheduler.settled();
      expect((await runsOf()).map((run) => [run.tick_at, run.status, run.reason])).toEqual([
        [start + 60_000, "skipped", "misfire_skipped"],
        [start + 8 * 60_000, "succeeded", null],
        [start + 9 * 60_000, "succeeded", null],
        [start + 10 * 60_000, "succeeded", null],
      ]);
    });
  });

  it("stop: no new ticks, and the run in flight is still recorded when it ends", async () => {
    await jobs.create(adminCaller, definition());
    await scheduler.start();
    await fireNextTimer();
    const run = await engine.nextStart();
    scheduler.stop();
    expect(timers.armed).toBe(0);
    run.end({ type: "cancelled", reason: "the daemon is shutting down" });
    await scheduler.settled();
    expect((await runsOf())[0]).toMatchObject({ status: "cancelled", message: "the daemon is shutting down" });
  });

  it("lets the watchdog find a job run without progress and cancel it as stalled; an orphaned row is closed", async () => {
    const watch = jobRunStallWatch({ db: store.db, scheduler, now: clock.now });
    await jobs.create(adminCaller, definition());
    await scheduler.start();
    await fireNextTimer();
    await engine.nextStart();
    await insertJobRun(store.db, { job_run_id: "orphan", job_id: "job", tick_at: start, attempt: 1, status: "running", started_at: clock.now() });
    expect(await watch.stale(clock.now() - 1)).toEqual([]);
    clock.advance(120_000);
    const stale = await watch.stale(clock.now() - 60_000);
    expect(stale).toHaveLength(2);
    const live = stale.find((found) => found.id !== "orphan");
    expect(live?.runId).toBe("run-1");
    expect(await watch.remediate(live?.id ?? "")).toMatch(/cancelled/);
    await scheduler.settled();
    expect(await watch.running(live?.id ?? "")).toBe(false);
    expect((await runsOf()).find((run) => run.job_run_id === live?.id)).toMatchObject({ status: "cancelled", reason: "stalled" });
    expect(await watch.remediate("orphan")).toMatch(/no run of it was in flight/);
    expect((await runsOf()).find((run) => run.job_run_id === "orphan")).toMatchObject({ status: "failed", reason: "stalled" });
  });
});
