import { describe, expect, it } from "vitest";
import { jitterOffsetMs } from "../../src/automation/schedule/jitter.js";
import { cronProblem, type JobSchedule, nextTickAfter, ticksBetween } from "../../src/automation/schedule/next-tick.js";
import { decideConcurrency, maxRunsReached, planMisfire, retryDelayMs, shouldRetry } from "../../src/automation/schedule/policies.js";
import { GatewayError } from "../../src/shared/errors.js";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe("cron next tick", () => {
  const prague = (expression: string): JobSchedule => ({ kind: "cron", expression, timezone: "Europe/Prague" });

  it("keeps a daily 09:00 at 09:00 local time across the spring DST change (UTC offset +1 -> +2)", () => {
    const schedule = prague("0 9 * * *");
    const friday = nextTickAfter(schedule, at("2026-03-27T12:00:00Z"));
    expect(iso(friday)).toBe("2026-03-28T08:00:00.000Z"); // Saturday 09:00 CET
    expect(iso(nextTickAfter(schedule, friday ?? 0))).toBe("2026-03-29T07:00:00.000Z"); // Sunday 09:00 CEST
  });

  it("runs a time that does not exist on the spring-forward day once, at the jump, and a repeated autumn time once", () => {
    const schedule = prague("30 2 * * *");
    const ticks = [at("2026-03-28T12:00:00Z")];
    for (let index = 0; index < 2; index++) ticks.push(nextTickAfter(schedule, ticks.at(-1) ?? 0) ?? 0);
    // 02:30 is skipped on 2026-03-29 in Prague: the tick comes at 03:00 CEST (01:00Z), then 02:30 CEST again.
    expect(ticks.slice(1).map(iso)).toEqual(["2026-03-29T01:00:00.000Z", "2026-03-30T00:30:00.000Z"]);
    const autumn = ticksBetween(schedule, at("2026-10-24T12:00:00Z"), at("2026-10-26T12:00:00Z"), 10);
    // 02:30 happens twice on 2026-10-25; the job fires once.
    expect(autumn.latest.map(iso)).toEqual(["2026-10-25T00:30:00.000Z", "2026-10-26T01:30:00.000Z"]);
  });

  it("reads weekdays in the zone: Friday afternoon's next weekday 09:00 is Monday", () => {
    expect(iso(nextTickAfter(prague("0 9 * * 1-5"), at("2026-03-27T12:00:00Z")))).toBe("2026-03-30T07:00:00.000Z");
  });

  it("refuses what croner refuses: six fields, a bad field, an unknown zone", () => {
    expect(cronProblem("0 0 9 * * *", "UTC")).toMatch(/5 parts/);
    expect(cronProblem("61 * * * *", "UTC")).toBeDefined();
    expect(cronProblem("0 9 * * *", "Mars/Olympus")).toMatch(/timezone/i);
    expect(cronProblem("*/5 * * * *", "UTC")).toBeUndefined();
  });
});

describe("every and at", () => {
  const every: JobSchedule = { kind: "every", everyMs: 60_000, anchorMs: at("2026-01-01T00:00:00Z") };

  it("ticks on the anchor's grid, strictly after the given time", () => {
    expect(iso(nextTickAfter(every, at("2026-01-01T00:00:00Z")))).toBe("2026-01-01T00:01:00.000Z");
    expect(iso(nextTickAfter(every, at("2026-01-01T00:01:30Z")))).toBe("2026-01-01T00:02:00.000Z");
    expect(iso(nextTickAfter(every, at("2025-12-31T00:00:00Z")))).toBe("2026-01-01T00:00:00.000Z");
  });

  it("fires an at schedule once", () => {
    const once: JobSchedule = { kind: "at", atMs: at("2026-12-24T18:00:00Z") };
    expect(iso(nextTickAfter(once, at("2026-12-01T00:00:00Z")))).toBe("2026-12-24T18:00:00.000Z");
    expect(nextTickAfter(once, at("2026-12-24T18:00:00Z"))).toBeUndefined();
  });

  it("counts ticks in a window without enumerating an interval's", () => {
    const week = ticksBetween({ kind: "every", everyMs: 1000, anchorMs: 0 }, 1000, 7 * 86_400_000, 3);
    expect(week.count).toBe(7 * 86_400);
    expect(week.latest).toEqual([7 * 86_400_000 - 2000, 7 * 86_400_000 - 1000, 7 * 86_400_000]);
  });
});

describe("jitter", () => {
  it("gives the same job and tick the same offset, below the bound, and spreads different ticks", () => {
    const offsets = Array.from({ length: 50 }, (_, index) => jitterOffsetMs("report", 1_700_000_000_000 + index * 60_000, 30_000));
    expect(offsets.every((offset) => offset >= 0 && offset < 30_000)).toBe(true);
    expect(jitterOffsetMs("report", 1_700_000_000_000, 30_000)).toBe(offsets[0]);
    expect(new Set(offsets).size).toBeGreaterThan(40);
    expect(jitterOffsetMs("other", 1_700_000_000_000, 30_000)).not.toBe(offsets[0]);
    expect(jitterOffsetMs("report", 1_700_000_000_000, 0)).toBe(0);
  });
});

describe("misfire after a downtime", () => {
  // An hourly job whose daemon was down from 00:30 to 06:10: ticks 01:00 … 06:00 were missed.
  const hourly: JobSchedule = { kind: "cron", expression: "0 * * * *", timezone: "UTC" };
  const missed = ticksBetween(hourly, at("2026-05-01T01:00:00Z"), at("2026-05-01T06:10:00Z"), 3);

  it("skip: nothing runs, one record counts all six", () => {
    expect(missed.count).toBe(6);
    expect(planMisfire("skip", missed, 3)).toEqual({ run: [], skipped: 6 });
  });

  it("catch_up: the latest max_catch_up run, oldest first, the rest are skipped", () => {
    const plan = planMisfire("catch_up", missed, 3);
    expect(plan.run.map(iso)).toEqual(["2026-05-01T04:00:00.000Z", "2026-05-01T05:00:00.000Z", "2026-05-01T06:00:00.000Z"]);
    expect(plan.skipped).toBe(3);
    expect(planMisfire("catch_up", ticksBetween(hourly, at("2026-05-01T01:00:00Z"), at("2026-05-01T01:30:00Z"), 3), 3)).toEqual({
      run: [at("2026-05-01T01:00:00Z")],
      skipped: 0,
    });
  });
});

describe("concurrency", () => {
  it("starts when nothing is active, whatever the policy", () => {
    for (const policy of ["forbid", "replace", "queue_one"] as const)
      expect(decideConcurrency(policy, { active: false, waiting: 0 })).toEqual({ action: "start" });
  });

  it("forbid skips, replace replaces, queue_one queues one and skips the next", () => {
    expect(decideConcurrency("forbid", { active: true, waiting: 0 })).toMatchObject({ action: "skip", reason: "concurrency_forbid" });
    expect(decideConcurrency("replace", { active: true, waiting: 0 })).toEqual({ action: "replace" });
    expect(decideConcurrency("queue_one", { active: true, waiting: 0 })).toEqual({ action: "queue" });
    expect(decideConcurrency("queue_one", { active: true, waiting: 1 })).toMatchObject({ action: "skip", reason: "concurrency_queue_full" });
  });
});

describe("retries and max_runs", () => {
  it("doubles the backoff per attempt and caps it at ten minutes", () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(1000, attempt))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelayMs(300_000, 3)).toBe(600_000);
    expect(retryDelayMs(1000, 16)).toBe(600_000);
  });

  it("retries transient failures only, within max_attempts", () => {
    const unavailable = new GatewayError("unavailable", "upstream down");
    expect(shouldRetry(unavailable, 1, 3)).toBe(true);
    expect(shouldRetry(new GatewayError("rate_limit", "slow down"), 2, 3)).toBe(true);
    expect(shouldRetry(unavailable, 3, 3)).toBe(false);
    expect(shouldRetry(new GatewayError("budget_exceeded", 'budget "daily" (tokens, daily) allows 0 tokens more'), 1, 3)).toBe(false);
    expect(shouldRetry(new GatewayError("invalid_request", "bad"), 1, 3)).toBe(false);
  });

  it("counts max_runs, and no limit when unset", () => {
    expect(maxRunsReached(2, 3)).toBe(false);
    expect(maxRunsReached(3, 3)).toBe(true);
    expect(maxRunsReached(1_000_000, null)).toBe(false);
  });
});
