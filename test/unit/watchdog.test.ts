import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { StallWatched } from "../../src/automation/stall-watch.js";
import { Watchdog, type WatchedEngine } from "../../src/automation/watchdog.js";
import type { SelfHealingConfig } from "../../src/config/schema.js";
import type { RunProgress } from "../../src/runs/active-runs.js";
import type { RunEndListener } from "../../src/runs/run-engine.js";
import { listIncidentRows } from "../../src/store/incidents-repository.js";
import { openSqliteStore, type Store } from "../../src/store/open-store.js";
import { ManualClock } from "../helpers/manual-clock.js";

const stores: Store[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

/** The engine as the watchdog sees it: runs in flight with progress the test sets, cancellations recorded. */
class FakeEngine implements WatchedEngine {
  readonly runs = new Map<string, RunProgress>();
  readonly cancelled: { runId: string; reason: string }[] = [];
  readonly listeners: RunEndListener[] = [];
  inFlightCalls = 0;

  inFlight() {
    this.inFlightCalls++;
    return [...this.runs].map(([runId, progress]) => ({ runId, callerId: "admin", progress }));
  }

  cancelRun(runId: string, reason: string): boolean {
    if (!this.runs.has(runId)) return false;
    this.cancelled.push({ runId, reason });
    return true;
  }

  onRunEnd(listener: RunEndListener): void {
    this.listeners.push(listener);
  }

  async recorded(runId: string) {
    return this.runs.has(runId) ? { model_id: "gpt-fake", provider_id: "openai" } : undefined;
  }

  begin(runId: string, lastAt: number): void {
    this.runs.set(runId, { startedAt: lastAt, lastAt, promptTokens: 10, outputChars: 0, reported: undefined });
  }

  end(runId: string): void {
    this.runs.delete(runId);
    for (const listener of this.listeners) listener(runId, "cancelled");
  }
}

/** Job runs or tasks the test declares stale, running, or throwing. */
class FakeSource implements StallWatched {
  readonly staleItems: { id: string; runId: string | undefined; summary: string }[] = [];
  readonly remediated: string[] = [];
  readonly ended = new Set<string>();
  staleError: Error | undefined;
  remediateError: Error | undefined;

  constructor(readonly objectKind: "job_run" | "task") {}

  async stale() {
    if (this.staleError !== undefined) throw this.staleError;
    return this.staleItems.filter((item) => !this.ended.has(item.id));
  }

  async remediate(id: string): Promise<string> {
    if (this.remediateError !== undefined) throw this.remediateError;
    this.remediated.push(id);
    return `requeued the ${this.objectKind}`;
  }

  async running(id: string): Promise<boolean> {
    return !this.ended.has(id);
  }
}

const stallAfterMs = 120_000;

async function setUp(mode: SelfHealingConfig["mode"], sources: StallWatched[] = []) {
  const store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), "palyra-watchdog-")), "palyra.sqlite"));
  stores.push(store);
  const clock = new ManualClock(1_000_000);
  const engine = new FakeEngine();
  const logged: { level: number; msg: string }[] = [];
  const logger = pino(
    { level: "info" },
    new Writable({
      write: (chunk, _encoding, done) => {
        logged.push(JSON.parse(String(chunk)));
        done();
      },
    }),
  );
  let ids = 0;
  const watchdog = new Watchdog({
    db: store.db,
    engine,
    sources,
    // A check interval no test waits out: checks run when the test says.
    config: { mode, stall_after_ms: stallAfterMs, check_interval_ms: 3_600_000 },
    logger,
    now: clock.now,
    newId: () => `incident-${++ids}`,
  });
  const incidents = () => listIncidentRows(store.db, { includeResolved: true, limit: 100 });
  return { store, clock, engine, watchdog, incidents, logged };
}

describe("the watchdog with runs in flight", () => {
  it("reports a run with no progress for longer than stall_after_ms once, counting later sightings (observe_only)", async () => {
    const { clock, engine, watchdog, incidents } = await setUp("observe_only");
    engine.begin("run-quiet", clock.now());
    engine.begin("run-busy", clock.now());
    clock.advance(stallAfterMs);
    engine.runs.get("run-busy")!.lastAt = clock.now();
    // Exactly stall_after_ms without progress is not yet a stall.
    await watchdog.check();
    expect(await incidents()).toEqual([]);

    clock.advance(1_000);
    await watchdog.check();
    const [first, ...others] = await incidents();
    expect(others).toEqual([]);
    expect(first).toMatchObject({
      kind: "run_stalled",
      severity: "warning",
      object_kind: "run",
      object_id: "run-quiet",
      state: "open",
      remediation: null,
      count: 1,
      first_seen_at: clock.now(),
      last_seen_at: clock.now(),
    });
    expect(first?.summary).toBe("run run-quiet (model gpt-fake on provider openai) has made no progress for 121s");

    clock.advance(15_000);
    await watchdog.check();
    const [again, ...none] = await incidents();
    expect(none).toEqual([]);
    expect(again).toMatchObject({ incident_id: first?.incident_id, count: 2, first_seen_at: first?.first_seen_at, last_seen_at: clock.now(), state: "open" });
    expect(again?.summary).toContain("136s");
    // Observing never touches the run.
    expect(engine.cancelled).toEqual([]);
  });

  it("cancels a stalled run once with the stalled reason in auto mode, and records the remediation", async () => {
    const { clock, engine, watchdog, incidents } = await setUp("auto");
    engine.begin("run-hung", clock.now());
    clock.advance(stallAfterMs + 5_000);
    await watchdog.check();
    expect(engine.cancelled).toEqual([{ runId: "run-hung", reason: "stalled: no progress for 125s" }]);
    expect(await incidents()).toMatchObject([{ object_id: "run-hung", state: "remediating", remediation: "cancelled the run", count: 1 }]);

    // Still in flight at the next check (its cancellation is under way): counted, not cancelled again.
    clock.advance(1_000);
    await watchdog.check();
    expect(engine.cancelled).toHaveLength(1);
    expect(await incidents()).toMatchObject([{ state: "remediating", count: 2 }]);
  });

  it("resolves a run's incident as soon as the run ends (start registers the run-end listener)", async () => {
    const { clock, engine, watchdog, incidents } = await setUp("auto");
    watchdog.start();
    engine.begin("run-hung", clock.now());
    clock.advance(stallAfterMs + 1);
    await watchdog.check();
    clock.advance(500);
    engine.end("run-hung");
    // Stopping waits for the resolution under way.
    await watchdog.stop();
    expect(await incidents()).toMatchObject([{ object_id: "run-hung", state: "resolved", resolved_at: clock.now(), remediation: "cancelled the run" }]);
  });

  it("resolves at the next check an incident whose run is no longer in flight (ended unseen, or before a restart)", async () => {
    const { clock, engine, watchdog, incidents } = await setUp("observe_only");
    engine.begin("run-hung", clock.now());
    engine.begin("run-other", clock.now());
    clock.advance(stallAfterMs + 1);
    await watchdog.check();
    // No listener (not started): only the sweep can notice.
    engine.runs.delete("run-hung");
    clock.advance(1_000);
    await watchdog.check();
    const byObject = Object.fromEntries((await incidents()).map((row) => [row.object_id, row]));
    expect(byObject["run-hung"]).toMatchObject({ state: "resolved", resolved_at: clock.now() });
    expect(byObject["run-other"]).toMatchObject({ state: "open", count: 2, resolved_at: null });
  });

  it("starts nothing when disabled", async () => {
    vi.useFakeTimers({ now: 0 });
    const { engine, watchdog } = await setUp("disabled");
    watchdog.start();
    await vi.advanceTimersByTimeAsync(10 * 3_600_000);
    expect(engine.inFlightCalls).toBe(0);
    expect(engine.listeners).toEqual([]);
    await watchdog.stop();
  });

  it("checks every check_interval_ms once started, and not after it stopped", async () => {
    vi.useFakeTimers({ now: 0 });
    const { engine, watchdog } = await setUp("observe_only");
    watchdog.start();
    await vi.advanceTimersByTimeAsync(3 * 3_600_000);
    expect(engine.inFlightCalls).toBe(3);
    await watchdog.stop();
    await vi.advanceTimersByTimeAsync(3 * 3_600_000);
    expect(engine.inFlightCalls).toBe(3);
  });
});

describe("the watchdog with job runs and tasks", () => {
  it("opens an incident per stale job run or task whose run is not in flight, and remediates it once in auto mode", async () => {
    const jobRuns = new FakeSource("job_run");
    const tasks = new FakeSource("task");
    const { clock, engine, watchdog, incidents } = await setUp("auto", [jobRuns, tasks]);
    engine.begin("run-of-task-b", clock.now());
    clock.advance(stallAfterMs + 1);
    jobRuns.staleItems.push({ id: "jr-1", runId: undefined, summary: "job run jr-1 of job nightly" });
    tasks.staleItems.push({ id: "task-a", runId: "run-gone", summary: "task task-a" });
    // Its run is in flight (and stalled): that is the run's incident, not the task's.
    tasks.staleItems.push({ id: "task-b", runId: "run-of-task-b", summary: "task task-b" });
    await watchdog.check();
    await watchdog.check();

    const rows = await incidents();
    const byObject = Object.fromEntries(rows.map((row) => [`${row.object_kind}/${row.object_id}`, row]));
    expect(Object.keys(byObject).sort()).toEqual(["job_run/jr-1", "run/run-of-task-b", "task/task-a"]);
    expect(byObject["job_run/jr-1"]).toMatchObject({ kind: "job_run_stalled", state: "remediating", remediation: "requeued the job_run", count: 2 });
    expect(byObject["job_run/jr-1"]?.summary).toBe("job run jr-1 of job nightly: no heartbeat for over 120s");
    expect(byObject["task/task-a"]).toMatchObject({ kind: "task_stalled", state: "remediating", remediation: "requeued the task" });
    expect(jobRuns.remediated).toEqual(["jr-1"]);
    expect(tasks.remediated).toEqual(["task-a"]);

    // Once it no longer runs, its incident resolves; stalling again (a requeued task) opens it anew.
    tasks.ended.add("task-a");
    await watchdog.check();
    expect((await incidents()).find((row) => row.object_id === "task-a")).toMatchObject({ state: "resolved", resolved_at: clock.now() });
    tasks.ended.delete("task-a");
    clock.advance(1_000);
    await watchdog.check();
    expect((await incidents()).find((row) => row.object_id === "task-a")).toMatchObject({ state: "remediating", resolved_at: null, count: 3 });
    expect(tasks.remediated).toEqual(["task-a", "task-a"]);
  });

  it("only reports stale job runs and tasks in observe_only", async () => {
    const tasks = new FakeSource("task");
    const { clock, watchdog, incidents } = await setUp("observe_only", [tasks]);
    tasks.staleItems.push({ id: "task-a", runId: undefined, summary: "task task-a" });
    clock.advance(stallAfterMs + 1);
    await watchdog.check();
    expect(await incidents()).toMatchObject([{ object_id: "task-a", state: "open", remediation: null }]);
    expect(tasks.remediated).toEqual([]);
  });

  it("survives a source that throws: the others are checked, the error is logged, and a failed remediation is tried again", async () => {
    const broken = new FakeSource("job_run");
    broken.staleError = new Error("job_runs table is locked");
    const tasks = new FakeSource("task");
    tasks.remediateError = new Error("could not requeue");
    const { clock, engine, watchdog, incidents, logged } = await setUp("auto", [broken, tasks]);
    engine.begin("run-hung", clock.now());
    tasks.staleItems.push({ id: "task-a", runId: undefined, summary: "task task-a" });
    clock.advance(stallAfterMs + 1);
    await watchdog.check();

    expect(logged.filter((line) => line.level >= 50).map((line) => line.msg)).toEqual([
      "the watchdog could not look for stalled work",
      "the watchdog could not handle stalled work",
    ]);
    const byObject = Object.fromEntries((await incidents()).map((row) => [row.object_id, row]));
    expect(byObject["run-hung"]).toMatchObject({ state: "remediating" });
    // The remediation failed: still open, so the next check tries again.
    expect(byObject["task-a"]).toMatchObject({ state: "open", remediation: null });
    tasks.remediateError = undefined;
    await watchdog.check();
    expect((await incidents()).find((row) => row.object_id === "task-a")).toMatchObject({ state: "remediating", remediation: "requeued the task" });
  });
});
