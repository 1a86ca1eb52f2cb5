import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { summarizeUsage } from "../../src/governance/ledger/usage-summary.js";
import { openSqliteStore, type Store } from "../../src/store/open-store.js";
import { insertRun } from "../../src/store/runs-repository.js";
import type { NewRunRow } from "../../src/store/tables.js";

let store: Store;
const day1 = Date.parse("2026-03-01T00:00:00Z");
const day2 = Date.parse("2026-03-02T00:00:00Z");
let sequence = 0;

function run(fields: Partial<NewRunRow>): NewRunRow {
  sequence += 1;
  return {
    run_id: `run-${sequence}`,
    created_at: day1,
    status: "succeeded",
    caller_id: "admin",
    model_id: "gpt",
    provider_id: "openai",
    upstream_model: "gpt-4o-mini",
    input_tokens: 100,
    output_tokens: 10,
    cached_input_tokens: 20,
    cost_usd: 0.5,
    ...fields,
  };
}

beforeAll(async () => {
  store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), "palyra-usage-")), "palyra.sqlite"));
  for (const row of [
    run({ created_at: day1 + 1000, agent_id: "agent-a" }),
    run({ created_at: day1 + 2000, status: "failed", error_kind: "timeout", input_tokens: 0, output_tokens: 0, cached_input_tokens: 0, cost_usd: 0 }),
    run({ created_at: day2 - 1, model_id: "claude", provider_id: "anthropic", cost_usd: 2, usage_estimated: 1, caller_id: "key-1" }),
    run({ created_at: day2 + 5, model_id: "claude", provider_id: "anthropic", cost_usd: 1, cost_estimated: 1, agent_id: "agent-a" }),
    // Outside the window asked for below.
    run({ created_at: day1 - 1, cost_usd: 100 }),
    run({ created_at: day2 + 86_400_000, cost_usd: 100 }),
  ]) {
    await insertRun(store.db, row);
  }
});

afterAll(async () => {
  await store?.close();
});

const window = { since: day1, until: day2 + 86_400_000 };

describe("usage summary", () => {
  it("groups by model, most expensive first, with errors, estimated runs and a total", async () => {
    const summary = await summarizeUsage(store.db, { ...window, groupBy: "model" });
    expect(
      summary.rows.map((row) => [row.key, row.runs, row.errors, row.inputTokens, row.outputTokens, row.cachedInputTokens, row.costUsd, row.estimatedRuns]),
    ).toEqual([
      ["claude", 2, 0, 200, 20, 40, 3, 2],
      ["gpt", 2, 1, 100, 10, 20, 0.5, 0],
    ]);
    expect(summary.total).toMatchObject({ key: "total", runs: 4, errors: 1, inputTokens: 300, costUsd: 3.5, estimatedRuns: 2 });
  });

  it("groups by UTC day, oldest first", async () => {
    const summary = await summarizeUsage(store.db, { ...window, groupBy: "day" });
    expect(summary.rows.map((row) => [row.key, row.runs, row.costUsd])).toEqual([
      ["2026-03-01", 3, 2.5],
      ["2026-03-02", 1, 1],
    ]);
  });

  it("groups by the calendar days of the configured time zone, whole-hour and half-hour offsets alike", async () => {
    const days = async (timeZone: string) =>
      (await summarizeUsage(store.db, { ...window, groupBy: "day" }, Date.now(), timeZone)).rows.map((row) => [row.key, row.runs, row.costUsd]);
    // 00:00:01Z and 00:00:02Z on March 1 are the evening of February 28 in New York (UTC-5); 23:59:59.999Z
    // and 00:00:00.005Z fall on the evening of March 1 there.
    expect(await days("America/New_York")).toEqual([
      ["2026-02-28", 2, 0.5],
      ["2026-03-01", 2, 3],
    ]);
    // In Kolkata (UTC+5:30) the same runs fall on the mornings of March 1 and March 2.
    expect(await days("Asia/Kolkata")).toEqual([
      ["2026-03-01", 2, 0.5],
      ["2026-03-02", 2, 3],
    ]);
  });

  it("groups by hour, oldest first, keyed by the hour's start; half-hour zones start their hours at :30 UTC", async () => {
    const hours = async (timeZone?: string) =>
      (await summarizeUsage(store.db, { ...window, groupBy: "hour" }, Date.now(), timeZone)).rows.map((row) => [row.key, row.runs, row.costUsd]);
    expect(await hours()).toEqual([
      ["2026-03-01T00:00:00.000Z", 2, 0.5],
      ["2026-03-01T23:00:00.000Z", 1, 2],
      ["2026-03-02T00:00:00.000Z", 1, 1],
    ]);
    // In Kolkata (UTC+5:30) 23:59:59.999Z and 00:00:00.005Z share the local hour 05:00-06:00, which starts at 23:30Z.
    expect(await hours("Asia/Kolkata")).toEqual([
      ["2026-02-28T23:30:00.000Z", 2, 0.5],
      ["2026-03-01T23:30:00.000Z", 2, 3],
    ]);
  });

  it("groups by hour over at most 7 days, so at most 7 * 24 + 1 rows", async () => {
    const until = day1 + 7 * 86_400_000 + 1;
    await expect(summarizeUsage(store.db, { since: day1, until, groupBy: "hour" })).rejects.toThrow(/since: grouping by hour covers at most 7 days/);
    const week = await summarizeUsage(store.db, { since: day1 - 1, until: day1 - 1 + 7 * 86_400_000, groupBy: "hour" });
    expect(week.rows.length).toBeLessThanOrEqual(7 * 24 + 1);
    expect(week.total.runs).toBe(6);
  });

  it("groups by provider, agent (none as empty) and API key", async () => {
    const keys = async (groupBy: "provider" | "agent" | "api_key") =>
      (await summarizeUsage(store.db, { ...window, groupBy })).rows.map((row) => [row.key, row.runs]);
    expect(await keys("provider")).toEqual([
      ["anthropic", 2],
      ["openai", 2],
    ]);
    expect(await keys("agent")).toEqual([
      ["", 2],
      ["agent-a", 2],
    ]);
    expect(await keys("api_key")).toEqual([
      ["key-1", 1],
      ["admin", 3],
    ]);
  });

  it("defaults to the 7 days before now and refuses an empty window", async () => {
    const summary = await summarizeUsage(store.db, { groupBy: "model" }, day2 + 86_400_000);
    expect(summary.since).toBe(day2 + 86_400_000 - 7 * 86_400_000);
    expect(summary.total.runs).toBe(5);
    await expect(summarizeUsage(store.db, { since: day2, until: day1, groupBy: "model" })).rejects.toThrow(/since: must be before until/);
  });
});
