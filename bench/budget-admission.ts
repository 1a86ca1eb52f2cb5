// Budget admission against a small and a large usage ledger (DESIGN.md §6: "a budget check over a
// ledger of a million rows takes the same time as over ten"). Standalone: a real SQLite store in a
// temp dir per ledger size, the runs table filled with one INSERT … SELECT over a recursive CTE,
// the real BudgetGovernance (three applicable policies) and PriceCatalog, then admissions and
// settlements one after another, timed separately, each writing its run's ledger row in its
// transaction as the run engine does.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { sql } from "kysely";
import { pino } from "pino";
import { configSchema } from "../src/config/schema.js";
import { createBudgets } from "../src/governance/budgets/create-budgets.js";
import { pricesFromConfig } from "../src/governance/pricing/model-price.js";
import { PriceCatalog } from "../src/governance/pricing/price-catalog.js";
import type { AdmissionRequest, RunSettlement } from "../src/governance/run-governance.js";
import { adminCaller } from "../src/identity/caller.js";
import { openSqliteStore, type Store } from "../src/store/open-store.js";
import { insertRun, updateRun } from "../src/store/runs-repository.js";
import { round, roundSummary, type Summary, summarize } from "./stats.js";

export interface BudgetLedgerCase {
  /** Rows in the runs table (the ledger) while admitting. */
  ledgerRows: number;
  /** Past daily counters per policy (a year of history); budget_counters grows by interval, not by run. */
  historicCounters: number;
  fillSeconds: number;
  /** Admission: the check, the reservation and the run's ledger row, one transaction. */
  admitMs: Summary;
  /** Settlement: the charge, the release, the soft-limit check and the run's ledger update, one transaction. */
  settleMs: Summary;
}

export interface BudgetAdmissionResults {
  admissions: number;
  warmup: number;
  policies: string[];
  cases: BudgetLedgerCase[];
  /** Large ledger ÷ small ledger, admission p50 and p99: about 1 when the cost does not grow with history. */
  ratio: { p50: number; p99: number };
}

const modelId = "bench-model";
const agentId = "bench-agent";
const day = 86_400_000;

const usage = configSchema.parse({
  version: 1,
  usage: {
    timezone: "Europe/Berlin",
    pricing: [{ model_id: modelId, input_per_mtok: 0.15, output_per_mtok: 0.6, cached_input_per_mtok: 0.075 }],
    budgets: [
      { policy_id: "bench-global-usd", scope_kind: "global", metric_kind: "usd_cost", interval_kind: "daily", soft_limit_value: 1e8, hard_limit_value: 1e9 },
      { policy_id: "bench-agent-tokens", scope_kind: "agent", scope_id: agentId, metric_kind: "tokens", interval_kind: "monthly", hard_limit_value: 1e15 },
      {
        policy_id: "bench-agent-weekly",
        scope_kind: "agent",
        scope_id: agentId,
        metric_kind: "usd_cost",
        interval_kind: "weekly",
        soft_limit_value: 1e7,
        action: "alert_only",
      },
    ],
  },
}).usage;

/** Measures admissions and settlements over each ledger size, smallest first. */
export async function measureBudgetAdmission(options: {
  ledgerRows: number[];
  admissions: number;
  warmup: number;
  progress: (message: string) => void;
}): Promise<BudgetAdmissionResults> {
  const cases: BudgetLedgerCase[] = [];
  for (const ledgerRows of options.ledgerRows) {
    const dir = mkdtempSync(join(tmpdir(), "palyra-bench-budgets-"));
    const store = await openSqliteStore(join(dir, "palyra.sqlite"));
    try {
      const historicCounters = ledgerRows >= 1000 ? 365 : 0;
      const started = performance.now();
      await fillLedger(store, ledgerRows, historicCounters);
      const fillSeconds = (performance.now() - started) / 1000;
      options.progress(
        `budget admission: ledger of ${ledgerRows.toLocaleString("en-US")} runs filled in ${fillSeconds.toFixed(1)} s; ${options.warmup} + ${options.admissions} admissions`,
      );
      const timings = await admitAndSettle(store, options.warmup, options.admissions);
      cases.push({
        ledgerRows,
        historicCounters,
        fillSeconds: round(fillSeconds, 2),
        admitMs: roundSummary(summarize(timings.admit)),
        settleMs: roundSummary(summarize(timings.settle)),
      });
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const first = cases[0];
  const last = cases[cases.length - 1];
  return {
    admissions: options.admissions,
    warmup: options.warmup,
    policies: usage.budgets.map((budget) => budget.policy_id),
    cases,
    ratio: {
      p50: first && last ? round(last.admitMs.p50 / first.admitMs.p50, 3) : Number.NaN,
      p99: first && last ? round(last.admitMs.p99 / first.admitMs.p99, 3) : Number.NaN,
    },
  };
}

/** Finished runs spread over the past year, and a year of past daily counters per policy. */
async function fillLedger(store: Store, rows: number, historicCounters: number): Promise<void> {
  const now = Date.now();
  await sql`
    insert into runs (run_id, created_at, finished_at, status, caller_id, agent_id, model_id, provider_id, upstream_model, input_tokens, output_tokens, cost_usd)
    with recursive n(i) as (select 1 union all select i + 1 from n where i < ${rows})
    select 'ledger-' || i, ${now} - (i % 365) * ${day}, ${now} - (i % 365) * ${day} + 500, 'succeeded', 'admin', ${agentId}, ${modelId}, 'local', ${modelId}, 120, 480, 0.0003
    from n`.execute(store.db);
  if (historicCounters === 0) return;
  await sql`
    insert into budget_counters (policy_id, interval_start, interval_end, consumed, reserved)
    with recursive n(i) as (select 1 union all select i + 1 from n where i <= ${historicCounters})
    select p.policy_id, ${now} - (n.i + 1) * ${day}, ${now} - n.i * ${day}, 1000, 0
    from n cross join (select ${usage.budgets[0]?.policy_id} as policy_id union all select ${usage.budgets[1]?.policy_id} union all select ${usage.budgets[2]?.policy_id}) p`.execute(
    store.db,
  );
}

async function admitAndSettle(store: Store, warmup: number, admissions: number): Promise<{ admit: number[]; settle: number[] }> {
  const priceBook = new PriceCatalog({ config: pricesFromConfig(usage.pricing) });
  const { governance } = await createBudgets({ store, usage, priceBook, logger: pino({ level: "silent" }) });
  const admit: number[] = [];
  const settle: number[] = [];
  const settlement: RunSettlement = {
    status: "succeeded",
    modelId,
    providerId: "local",
    upstreamModel: modelId,
    usage: { inputTokens: 120, outputTokens: 480, cachedInputTokens: 20, cacheWriteTokens: 0, estimated: false },
    cacheHit: false,
  };
  for (let index = 0; index < warmup + admissions; index += 1) {
    const runId = `bench-${index}`;
    const request: AdmissionRequest = {
      runId,
      kind: "chat",
      caller: adminCaller,
      agentId,
      models: [{ modelId, providerId: "local", upstreamModel: modelId, maxOutputTokens: 4096 }],
      projectTokens: () => ({ input: 120, output: 4096 }),
      requestHash: () => `hash-${index}`,
    };
    const started = performance.now();
    const admission = await governance.admit(request, (db) =>
      insertRun(db, {
        run_id: runId,
        created_at: Date.now(),
        finished_at: null,
        status: "running",
        caller_id: "admin",
        agent_id: agentId,
        model_id: modelId,
        provider_id: "local",
        upstream_model: modelId,
      }),
    );
    const admitted = performance.now();
    await governance.settle(admission, settlement, (db, cost) =>
      updateRun(db, runId, {
        status: "succeeded",
        finished_at: Date.now(),
        input_tokens: 120,
        output_tokens: 480,
        cost_usd: cost.costUsd,
        cost_estimated: cost.costEstimated ? 1 : 0,
      }),
    );
    const settled = performance.now();
    if (index < warmup) continue;
    admit.push(admitted - started);
    settle.push(settled - admitted);
  }
  return { admit, settle };
}
