import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { LedgerWrite, RunCost, RunSettlement } from "../../src/governance/run-governance.js";
import { adminCaller } from "../../src/identity/caller.js";
import { type ClosingRun, closeRun } from "../../src/runs/close-run.js";
import { buildRunEnd, type RunFacts, settlementOf } from "../../src/runs/run-end.js";
import { terminalEvent } from "../../src/runs/run-events.js";
import { recordRunStart } from "../../src/runs/run-records.js";
import { GatewayError } from "../../src/shared/errors.js";
import type { Usage } from "../../src/shared/model-types.js";
import { openSqliteStore, type Store } from "../../src/store/open-store.js";
import { findRun } from "../../src/store/runs-repository.js";

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

const usage: Usage = { inputTokens: 12, outputTokens: 5, cachedInputTokens: 2, cacheWriteTokens: 0, estimated: false };
const servedBy = { modelId: "backup-model", providerId: "backup", upstreamModel: "backup-upstream" };
const facts = (more: Partial<RunFacts> = {}): RunFacts => ({ servedBy, attempts: 2, cacheHit: false, firstOutputMs: 7, usage, ...more });

/** A run in flight; `cancelled` aborts it with a reason, as ActiveRuns does. */
function ending(cancelled?: string): ClosingRun {
  const controller = new AbortController();
  if (cancelled !== undefined) controller.abort(new GatewayError("cancelled", cancelled));
  return { runId: "run-1", startedAt: 1_000, signal: controller.signal, cancelReason: () => cancelled, settle: undefined };
}

describe("buildRunEnd: every run's end in one shape", () => {
  it("finished work succeeded, with its serving model, usage and finish reason", () => {
    const end = buildRunEnd(ending(), facts({ finishReason: "length" }), 1_250);
    expect(end).toMatchObject({
      runId: "run-1",
      status: "succeeded",
      startedAt: 1_000,
      finishedAt: 1_250,
      servedBy,
      attempts: 2,
      usage,
      finishReason: "length",
    });
    expect(end.error).toBeUndefined();
    expect(settlementOf(end)).toEqual({ status: "succeeded", ...servedBy, usage, cacheHit: false });
  });

  it("a cache hit is charged no upstream tokens", () => {
    const end = buildRunEnd(ending(), facts({ cacheHit: true, attempts: 0 }), 1_001);
    expect(end.usage).toEqual({ inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, estimated: false });
    expect(settlementOf(end)).toMatchObject({ cacheHit: true, usage: end.usage });
  });

  it("work that threw failed, keeping the error's kind and what the upstream reported", () => {
    const end = buildRunEnd(ending(), facts({ failure: { error: new GatewayError("network", "reset mid-stream") } }), 2_000);
    expect(end).toMatchObject({ status: "failed", usage });
    expect(end.finishReason).toBeUndefined();
    expect(end.error).toMatchObject({ kind: "network", message: "reset mid-stream" });
    expect(settlementOf(end).status).toBe("failed");
  });

  it("anything thrown that is not a GatewayError fails as internal", () => {
    const end = buildRunEnd(ending(), facts({ failure: { error: new TypeError("boom") } }), 2_000);
    expect(end.error).toMatchObject({ kind: "internal", message: "internal error: boom" });
  });

  it("work stopped by a cancellation with a reason was cancelled, the reason as its message", () => {
    const end = buildRunEnd(ending("the client disconnected"), facts({ failure: { error: new Error("aborted") } }), 3_000);
    expect(end).toMatchObject({ status: "cancelled", error: { kind: "cancelled", message: "the client disconnected" } });
    expect(terminalEvent(end, undefined)).toEqual({ type: "cancelled", reason: "the client disconnected" });
  });

  it("work that finished before a late cancellation still succeeded", () => {
    expect(buildRunEnd(ending("too late"), facts(), 3_000).status).toBe("succeeded");
  });
});

describe("terminalEvent: the event made from the end", () => {
  it("a success reports the answer with the serving model, attempts and cost", () => {
    const end = { ...buildRunEnd(ending(), facts({ finishReason: "stop" }), 1_100), cost: { costUsd: 0.25, costEstimated: true } };
    const answer = { text: "hi", toolCalls: [], finishReason: "stop" as const, usage };
    expect(terminalEvent(end, answer)).toEqual({
      type: "completed",
      ...answer,
      modelId: "backup-model",
      providerId: "backup",
      attempts: 2,
      costUsd: 0.25,
      costEstimated: true,
    });
  });

  it("a failure reports the error", () => {
    const error = new GatewayError("timeout", "upstream timed out");
    expect(terminalEvent(buildRunEnd(ending(), facts({ failure: { error } }), 1_100), undefined)).toEqual({ type: "failed", error });
  });
});

describe("closeRun: settles and records the one end", () => {
  async function started(): Promise<Store> {
    const store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), "palyra-run-end-")), "palyra.sqlite"));
    stores.push(store);
    const resolved = { model: { modelId: "primary-model", upstreamModel: "primary-upstream" }, provider: { providerId: "primary" } };
    await recordRunStart(store.db, { runId: "run-1", kind: "chat", startedAt: 1_000, resolved: resolved as never, attribution: { caller: adminCaller } });
    return store;
  }
  const deps = (store: Store, onUsage?: (usage: Usage) => void) => ({ db: store.db, logger: pino({ level: "silent" }), now: () => 1_500, onUsage });

  it("records each status with the serving model, usage, error and the cost settlement returned", async () => {
    const store = await started();
    const settled: RunSettlement[] = [];
    const settle = async (settlement: RunSettlement, recordEnd: LedgerWrite<[RunCost]>) => {
      settled.push(settlement);
      const cost = { costUsd: 0.5, costEstimated: false };
      await recordEnd(store.db, cost);
      return cost;
    };
    const seen: Usage[] = [];
    const end = await closeRun(
      deps(store, (used) => seen.push(used)),
      { ...ending("stop"), settle },
      facts({ failure: { error: new Error("aborted") } }),
    );
    expect(end).toMatchObject({ status: "cancelled", cost: { costUsd: 0.5 } });
    expect(settled).toEqual([{ status: "cancelled", ...servedBy, usage, cacheHit: false }]);
    expect(seen).toEqual([usage]);
    expect(await findRun(store.db, "run-1")).toMatchObject({
      status: "cancelled",
      model_id: "backup-model",
      provider_id: "backup",
      upstream_model: "backup-upstream",
      input_tokens: 12,
      attempts: 2,
      first_output_ms: 7,
      duration_ms: 500,
      cost_usd: 0.5,
      error_kind: "cancelled",
      error_message: "stop",
    });
  });

  it("records the run without its cost when charging fails", async () => {
    const store = await started();
    const settle = async () => {
      throw new Error("budget store unavailable");
    };
    const end = await closeRun(deps(store), { ...ending(), settle }, facts({ finishReason: "stop" }));
    expect(end).toMatchObject({ status: "succeeded", cost: { costUsd: 0, costEstimated: true } });
    expect(await findRun(store.db, "run-1")).toMatchObject({ status: "succeeded", finish_reason: "stop", cost_estimated: 1 });
  });

  it("ends failed (internal) when the end cannot be recorded at all", async () => {
    const store = await started();
    await store.close();
    stores.splice(stores.indexOf(store), 1);
    const end = await closeRun(deps(store), ending(), facts({ finishReason: "stop" }));
    expect(end).toMatchObject({ status: "failed", error: { kind: "internal", message: "the run finished but could not be recorded" } });
  });
});
