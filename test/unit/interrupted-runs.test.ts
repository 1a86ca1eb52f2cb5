import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { type BudgetConfig, configSchema } from "../../src/config/schema.js";
import { createBudgets } from "../../src/governance/budgets/create-budgets.js";
import type { PriceBook } from "../../src/governance/pricing/price-book.js";
import { recoverInterruptedRuns } from "../../src/runs/recover-interrupted-runs.js";
import { findCounter } from "../../src/store/budget-counters-repository.js";
import { openSqliteStore, type Store } from "../../src/store/open-store.js";
import { findRun, insertRun, writeRunHeartbeats } from "../../src/store/runs-repository.js";
import { runningRunRow } from "../helpers/run-rows.js";

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

/** $1 per million input tokens, $2 per million output. */
const priceBook: PriceBook = {
  costOf: (_model, usage) => ({ costUsd: (usage.inputTokens + 2 * usage.outputTokens) / 1e6, priced: true }),
};
const logger = pino({ level: "silent" });
const day = Date.parse("2024-05-15T00:00:00Z");

const policy = (policy_id: string, overrides: Partial<BudgetConfig>): BudgetConfig => ({
  policy_id,
  scope_kind: "global",
  scope_id: "",
  metric_kind: "tokens",
  interval_kind: "daily",
  soft_limit_value: 0,
  hard_limit_value: 1e9,
  action: "block",
  enabled: true,
  ...overrides,
});

async function setUp() {
  const store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), "palyra-interrupted-")), "palyra.sqlite"));
  stores.push(store);
  const usage = configSchema.parse({
    version: 1,
    usage: {
      budgets: [policy("tokens", {}), policy("usd", { metric_kind: "usd_cost" }), policy("agent-b", { scope_kind: "agent", scope_id: "b" })],
    },
  }).usage;
  const { governance } = await createBudgets({ store, usage, priceBook, logger, now: () => day + 3_600_000 });
  return { store, governance };
}

async function leaveRunning(store: Store, runId: string, agentId: string | null) {
  await insertRun(store.db, runningRunRow({ run_id: runId, created_at: day + 1000, caller_id: "key_1", agent_id: agentId }));
}

describe("runs a killed daemon left running", () => {
  it("are closed as interrupted and charged their last heartbeat, estimated, to the budgets that applied", async () => {
    const { store, governance } = await setUp();
    await leaveRunning(store, "beating", "a");
    await writeRunHeartbeats(store.db, [{ runId: "beating", at: day + 5000, inputTokens: 100, outputTokens: 50 }]);
    await leaveRunning(store, "silent", "b");

    expect(await recoverInterruptedRuns({ db: store.db, governance, now: day + 9000, logger })).toBe(2);

    expect(await findRun(store.db, "beating")).toMatchObject({
      status: "failed",
      error_kind: "interrupted",
      finished_at: day + 9000,
      input_tokens: 100,
      output_tokens: 50,
      usage_estimated: 1,
      cost_usd: 200 / 1e6,
      cost_estimated: 1,
    });
    // No heartbeat: nothing is known to have been produced, and nothing is charged.
    expect(await findRun(store.db, "silent")).toMatchObject({
      status: "failed",
      error_kind: "interrupted",
      cost_usd: 0,
      cost_estimated: 0,
      usage_estimated: 0,
    });
    expect((await findCounter(store.db, "tokens", day))?.consumed).toBe(150);
    expect((await findCounter(store.db, "usd", day))?.consumed).toBeCloseTo(200 / 1e6, 12);
    // Agent b's run used nothing, and agent a's run is not b's.
    expect(await findCounter(store.db, "agent-b", day)).toBeUndefined();
  });

  it("are closed without governance too, and a late heartbeat never overwrites the end", async () => {
    const { store } = await setUp();
    await leaveRunning(store, "done", null);
    expect(await recoverInterruptedRuns({ db: store.db, now: day + 2000, logger })).toBe(1);
    await writeRunHeartbeats(store.db, [{ runId: "done", at: day + 3000, inputTokens: 7, outputTokens: 7 }]);
    expect(await findRun(store.db, "done")).toMatchObject({ status: "failed", input_tokens: 0, heartbeat_at: null });
  });
});
