import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CronJobs } from "../../src/automation/cron-jobs.js";
import { daemonSystemJobs } from "../../src/automation/memory-system-jobs.js";
import { JobScheduler } from "../../src/automation/scheduler.js";
import { syncSystemJobs } from "../../src/automation/system-job-sync.js";
import { type SystemJob, SystemJobRegistry } from "../../src/automation/system-jobs.js";
import { configSchema } from "../../src/config/schema.js";
import { adminCaller } from "../../src/identity/caller.js";
import { GatewayError } from "../../src/shared/errors.js";
import { findCronJob } from "../../src/store/cron-jobs-repository.js";
import { listJobRuns } from "../../src/store/job-runs-repository.js";
import { openSqliteStore, type Store } from "../../src/store/open-store.js";
import { FakeEngine, FakeTimers } from "../helpers/fake-scheduler-parts.js";
import { ManualClock } from "../helpers/manual-clock.js";

// System jobs on the real scheduler (real SQLite, manual clock, fake timers): their ticks call a
// handler in process, a throwing handler is a failed job run, and the scheduler goes on ticking.

const start = Date.parse("2026-05-01T00:00:00Z");
let store: Store;
let clock: ManualClock;
let timers: FakeTimers;
let scheduler: JobScheduler;
let cronJobs: CronJobs;
let calls: string[];
let throwNext: Error | undefined;

function job(jobId: string, everyMs: number, handler?: SystemJob["handler"]): SystemJob {
  return {
    jobId,
    name: jobId,
    description: `the ${jobId} job`,
    everyMs,
    handler:
      handler ??
      (async () => {
        calls.push(jobId);
        if (throwNext) {
          const error = throwNext;
          throwNext = undefined;
          throw error;
        }
        return { message: `${jobId} did its work`, usage: { inputTokens: 5, outputTokens: 0 }, costUsd: 0.25 };
      }),
  };
}

async function setUp(systemJobs: SystemJob[]): Promise<void> {
  const registry = new SystemJobRegistry(systemJobs);
  scheduler = new JobScheduler({
    db: store.db,
    engine: new FakeEngine().asEngine(),
    ownerCaller: async () => adminCaller,
    logger: pino({ level: "silent" }),
    now: clock.now,
    timers,
    heartbeatIntervalMs: 1000,
    systemJobs: registry,
  });
  cronJobs = new CronJobs({ db: store.db, scheduler, now: clock.now, defaultTimezone: "UTC" });
  await syncSystemJobs({ db: store.db, scheduler, now: clock.now }, registry.list());
  await scheduler.start();
}

async function fireNextTimer(): Promise<void> {
  const due = timers.nextDueAt;
  if (due === undefined) throw new Error("no timer armed");
  timers.advanceTo(due);
  await scheduler.idle();
  await scheduler.settled();
}

beforeEach(async () => {
  store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), "palyra-system-jobs-")), "palyra.sqlite"));
  clock = new ManualClock(start);
  timers = new FakeTimers(clock);
  calls = [];
  throwNext = undefined;
});

afterEach(async () => {
  scheduler.stop();
  await scheduler.settled();
  await store.close();
});

describe("system jobs", () => {
  it("are stored as source system, owner admin, concurrency forbid, misfire skip, and tick their handler", async () => {
    await setUp([job("maintenance", 300_000)]);
    const row = await findCronJob(store.db, "maintenance");
    expect(row).toMatchObject({ source: "system", owner: "admin", concurrency: "forbid", misfire: "skip", every_ms: 300_000, next_run_at: start + 300_000 });
    await fireNextTimer();
    expect(calls).toEqual(["maintenance"]);
    const [run] = await listJobRuns(store.db, "maintenance", { limit: 10 });
    expect(run).toMatchObject({ status: "succeeded", message: "maintenance did its work", input_tokens: 5, cost_usd: 0.25, run_id: null });
  });

  it("records a throwing handler as a failed job run with its error, and goes on ticking", async () => {
    await setUp([job("maintenance", 60_000)]);
    throwNext = new Error("disk on fire");
    await fireNextTimer();
    await fireNextTimer();
    expect(calls).toEqual(["maintenance", "maintenance"]);
    const runs = await listJobRuns(store.db, "maintenance", { limit: 10 });
    const byTick = [...runs].sort((a, b) => Number(a.tick_at) - Number(b.tick_at));
    expect(byTick.map((run) => [run.status, run.reason])).toEqual([
      ["failed", "internal"],
      ["succeeded", null],
    ]);
    expect(byTick[0]?.message).toContain("disk on fire");
  });

  it("records a budget refusal as skipped, reason budget_exceeded, with the budget's message", async () => {
    await setUp([job("backfill", 60_000)]);
    throwNext = new GatewayError("budget_exceeded", 'budget "global-daily" (global, daily) is exhausted');
    await fireNextTimer();
    const [run] = await listJobRuns(store.db, "backfill", { limit: 10 });
    expect(run).toMatchObject({ status: "skipped", reason: "budget_exceeded", message: 'budget "global-daily" (global, daily) is exhausted' });
  });

  it("never runs two ticks of one job at once (concurrency forbid)", async () => {
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    await setUp([
      job("slow", 60_000, async () => {
        await blocked;
        return { message: "done" };
      }),
    ]);
    await cronJobs.runNow(adminCaller, "slow");
    const second = await cronJobs.runNow(adminCaller, "slow");
    expect(second).toMatchObject({ jobRun: { status: "skipped" } });
    release();
    await scheduler.settled();
    const statuses = (await listJobRuns(store.db, "slow", { limit: 10 })).map((run) => run.status).sort();
    expect(statuses).toEqual(["skipped", "succeeded"]);
  });

  it("are cancelled when the scheduler stops, and recorded cancelled", async () => {
    let started!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    await setUp([
      job("long", 60_000, async (signal) => {
        started();
        await new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true }));
        return { message: "never" };
      }),
    ]);
    await cronJobs.runNow(adminCaller, "long");
    await running;
    scheduler.stop();
    await scheduler.settled();
    const [run] = await listJobRuns(store.db, "long", { limit: 10 });
    expect(run).toMatchObject({ status: "cancelled", reason: "cancelled", message: "the daemon is stopping" });
  });

  it("are hidden from listings unless asked for, and cannot be changed or removed through CronJobs", async () => {
    await setUp([job("maintenance", 60_000)]);
    expect((await cronJobs.list(adminCaller, 0, "")).items).toEqual([]);
    expect((await cronJobs.list(adminCaller, 0, "", true)).items.map((row) => row.job_id)).toEqual(["maintenance"]);
    await expect(cronJobs.remove(adminCaller, "maintenance")).rejects.toMatchObject({ kind: "invalid_request", code: "system_job" });
    expect(await findCronJob(store.db, "maintenance")).toBeDefined();
  });

  it("keep their next tick when re-registered with the same interval, and a job no longer registered is removed", async () => {
    await setUp([job("maintenance", 60_000), job("audit", 120_000)]);
    clock.advance(10_000);
    await syncSystemJobs({ db: store.db, scheduler, now: clock.now }, [job("maintenance", 60_000)]);
    expect((await findCronJob(store.db, "maintenance"))?.next_run_at).toBe(start + 60_000);
    expect(await findCronJob(store.db, "audit")).toBeUndefined();
    await syncSystemJobs({ db: store.db, scheduler, now: clock.now }, [job("maintenance", 30_000)]);
    expect((await findCronJob(store.db, "maintenance"))?.next_run_at).toBe(start + 10_000 + 30_000);
  });
});

describe("the daemon's system jobs", () => {
  const memory = configSchema.parse({ version: 1 }).memory;
  const base = {
    engine: { embed: async () => Promise.reject(new Error("unused")) },
    memory,
    auditIntervalMs: 21_600_000,
    embeddingsModelId: () => "e",
    now: Date.now,
  };

  it("are maintenance every 5 minutes and the backfill every 10 by default, plus the audit when it has a handler", async () => {
    // An empty scheduler, so the shared afterEach has one to stop.
    await setUp([]);
    const without = daemonSystemJobs({ db: store.db, ...base });
    expect(without.map((job) => [job.jobId, job.everyMs])).toEqual([
      ["memory-maintenance", 300_000],
      ["memory-embeddings-backfill", 600_000],
    ]);
    const withAudit = daemonSystemJobs({ db: store.db, ...base, auditHandler: async () => ({ message: "all consistent" }) });
    expect(withAudit.map((job) => [job.jobId, job.everyMs])).toContainEqual(["integrity-audit", 21_600_000]);
    expect(await withAudit.find((job) => job.jobId === "integrity-audit")?.handler(new AbortController().signal, () => {})).toEqual({
      message: "all consistent",
    });
  });
});
