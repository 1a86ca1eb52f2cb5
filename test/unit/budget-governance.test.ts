import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { type BudgetConfig, configSchema } from "../../src/config/schema.js";
import { approvalIdIn } from "../../src/governance/budgets/budget-admission.js";
import { createBudgets } from "../../src/governance/budgets/create-budgets.js";
import type { PriceBook } from "../../src/governance/pricing/price-book.js";
import type { AdmissionRequest, RunSettlement } from "../../src/governance/run-governance.js";
import { adminCaller, type Caller } from "../../src/identity/caller.js";
import type { BudgetPolicy } from "../../src/shared/budget-policy.js";
import { GatewayError } from "../../src/shared/errors.js";
import type { Usage } from "../../src/shared/model-types.js";
import { findCounter } from "../../src/store/budget-counters-repository.js";
import { openSqliteStore, type Store } from "../../src/store/open-store.js";
import { findRun, insertRun, updateRun } from "../../src/store/runs-repository.js";
import type { Database } from "../../src/store/tables.js";

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

/** $1 per million input tokens, $2 per million output, $0.5 cached, $3 cache writes; "dear" ten times that; "free" has no price. */
const priceBook: PriceBook = {
  costOf(model, usage) {
    if (model.modelId === "free") return { costUsd: 0, priced: false };
    const plain = usage.inputTokens - usage.cachedInputTokens - usage.cacheWriteTokens;
    const scale = model.modelId === "dear" ? 10 : 1;
    return { costUsd: (scale * (plain * 1 + usage.cachedInputTokens * 0.5 + usage.cacheWriteTokens * 3 + usage.outputTokens * 2)) / 1e6, priced: true };
  },
};

const budget = (overrides: Partial<BudgetConfig>): BudgetConfig => ({
  policy_id: "p",
  scope_kind: "global",
  scope_id: "",
  metric_kind: "tokens",
  interval_kind: "daily",
  soft_limit_value: 0,
  hard_limit_value: 0,
  action: "block",
  enabled: true,
  ...overrides,
});

function usageConfig(budgets: BudgetConfig[], timezone = "UTC") {
  return configSchema.parse({ version: 1, usage: { timezone, budgets } }).usage;
}

async function setUp(budgets: BudgetConfig[], options: { timezone?: string; start?: string } = {}) {
  const store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), "palyra-budgets-")), "palyra.sqlite"));
  stores.push(store);
  let now = Date.parse(options.start ?? "2024-05-15T12:00:00Z");
  const clock = { now: () => now, set: (iso: string) => (now = Date.parse(iso)) };
  const warnings: string[] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => void warnings.push(JSON.parse(line).msg) });
  const { governance, administration } = await createBudgets({
    store,
    usage: usageConfig(budgets, options.timezone),
    priceBook,
    logger,
    now: clock.now,
  });
  return { store, clock, governance, administration, warnings };
}

const servingModel = (modelId: string, upstreamModel = modelId) => ({ modelId, providerId: "local", upstreamModel, maxOutputTokens: 4096 });

let runs = 0;
function request(overrides: Partial<AdmissionRequest> & { tokens?: { input: number; output: number }; hash?: string } = {}): AdmissionRequest {
  const { tokens = { input: 100, output: 400 }, hash = "hash-1", ...rest } = overrides;
  return {
    runId: `run-${++runs}`,
    kind: "chat",
    caller: adminCaller,
    models: [servingModel("m", "m-up")],
    projectTokens: () => tokens,
    requestHash: () => hash,
    ...rest,
  };
}

const usage = (input: number, output: number, extra: Partial<Usage> = {}): Usage => ({
  inputTokens: input,
  outputTokens: output,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  estimated: false,
  ...extra,
});
const settled = (overrides: Partial<RunSettlement> = {}): RunSettlement => ({
  status: "succeeded",
  modelId: "m",
  providerId: "local",
  upstreamModel: "m-up",
  usage: usage(100, 50),
  cacheHit: false,
  ...overrides,
});

async function refusal(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof GatewayError)) throw new Error(`expected a GatewayError, got ${String(error)}`);
  return error;
}

async function standing(administration: Awaited<ReturnType<typeof setUp>>["administration"], policyId: string) {
  const policy = (await administration.listPolicies()).find((candidate) => candidate.policyId === policyId);
  return policy?.standing;
}

describe("BudgetGovernance", () => {
  it("reserves the worst case, charges actual usage and releases the rest", async () => {
    const { governance, administration } = await setUp([budget({ policy_id: "tok", hard_limit_value: 1000 })]);
    const admission = await governance.admit(request());
    expect(await standing(administration, "tok")).toMatchObject({ consumed: 0, reserved: 500, remaining: 500 });
    const cost = await governance.settle(admission, settled({ usage: usage(100, 50) }));
    expect(cost).toEqual({ costUsd: (100 + 100) / 1e6, costEstimated: false });
    expect(await standing(administration, "tok")).toMatchObject({ consumed: 150, reserved: 0, remaining: 850 });
  });

  it("refuses a request whose worst case would pass the hard limit, naming the policy and what remains", async () => {
    const { governance, administration, clock } = await setUp([budget({ policy_id: "tok", hard_limit_value: 1000 })]);
    await governance.admit(request()); // 500 reserved
    await governance.admit(request()); // 1000 reserved
    const error = await refusal(governance.admit(request({ tokens: { input: 1, output: 0 } })));
    expect(error.kind).toBe("budget_exceeded");
    expect(error.message).toContain('budget "tok" (tokens, daily) allows 0 tokens more; this request could use up to 1 tokens');
    expect(error.retryAfterMs).toBe(Date.parse("2024-05-16T00:00:00Z") - clock.now());
    expect(await standing(administration, "tok")).toMatchObject({ reserved: 1000 });
  });

  it("prices USD budgets at the worst case: the prompt at the dearer of input and cache-write rates", async () => {
    const { governance, administration } = await setUp([budget({ policy_id: "usd", metric_kind: "usd_cost", hard_limit_value: 1 })]);
    const admission = await governance.admit(request({ tokens: { input: 1000, output: 500 } }));
    expect((await standing(administration, "usd"))?.reserved).toBeCloseTo((1000 * 3 + 500 * 2) / 1e6, 12);
    // Cached tokens are cheaper: the charge is the actual price, not the projection.
    const cost = await governance.settle(admission, settled({ usage: usage(1000, 100, { cachedInputTokens: 800 }) }));
    expect(cost.costUsd).toBeCloseTo((200 + 800 * 0.5 + 200) / 1e6, 12);
    expect(await standing(administration, "usd")).toMatchObject({ reserved: 0 });
    expect((await standing(administration, "usd"))?.consumed).toBeCloseTo(cost.costUsd, 12);
  });

  it("charges a cache hit nothing, and a failed run only what the upstream reported", async () => {
    const { governance, administration } = await setUp([
      budget({ policy_id: "tok", hard_limit_value: 10_000 }),
      budget({ policy_id: "usd", metric_kind: "usd_cost", hard_limit_value: 1 }),
    ]);
    expect(await governance.settle(await governance.admit(request()), settled({ cacheHit: true }))).toEqual({ costUsd: 0, costEstimated: false });
    expect(await governance.settle(await governance.admit(request()), settled({ status: "failed", usage: undefined }))).toEqual({
      costUsd: 0,
      costEstimated: false,
    });
    expect(await standing(administration, "tok")).toMatchObject({ consumed: 0, reserved: 0 });
    const partial = await governance.settle(await governance.admit(request()), settled({ status: "cancelled", usage: usage(100, 7) }));
    expect(partial.costUsd).toBeCloseTo(114 / 1e6, 12);
    expect(await standing(administration, "tok")).toMatchObject({ consumed: 107, reserved: 0 });
  });

  it("marks estimated usage and unpriced models as estimated cost", async () => {
    const { governance } = await setUp([]);
    expect(await governance.settle(await governance.admit(request()), settled({ usage: usage(10, 10, { estimated: true }) }))).toMatchObject({
      costEstimated: true,
    });
    expect(await governance.settle(await governance.admit(request({ models: [servingModel("free")] })), settled({ modelId: "free" }))).toEqual({
      costUsd: 0,
      costEstimated: true,
    });
  });

  it("rolls over to a fresh interval when the clock passes midnight in the configured zone", async () => {
    const { governance, administration, clock } = await setUp([budget({ policy_id: "tok", hard_limit_value: 600 })], {
      timezone: "Europe/Berlin",
      start: "2024-05-15T21:30:00Z",
    });
    await governance.settle(await governance.admit(request()), settled({ usage: usage(100, 400) }));
    expect((await refusal(governance.admit(request()))).retryAfterMs).toBe(30 * 60_000);
    clock.set("2024-05-15T22:00:00Z"); // midnight in Berlin (UTC+2)
    const next = await standing(administration, "tok");
    expect(next).toMatchObject({ consumed: 0, reserved: 0, interval: { start: Date.parse("2024-05-15T22:00:00Z") } });
    await governance.admit(request());
  });

  it("charges a run admitted before midnight to the interval it was admitted in", async () => {
    const { store, governance, clock } = await setUp([budget({ policy_id: "tok", hard_limit_value: 10_000 })]);
    const admission = await governance.admit(request());
    clock.set("2024-05-16T00:00:01Z");
    await governance.settle(admission, settled({ usage: usage(100, 50) }));
    expect(await findCounter(store.db, "tok", Date.parse("2024-05-15T00:00:00Z"))).toMatchObject({ consumed: 150, reserved: 0 });
    expect(await findCounter(store.db, "tok", Date.parse("2024-05-16T00:00:00Z"))).toBeUndefined();
  });

  it("applies scoped policies only to their agent, session, user or API key", async () => {
    const { governance } = await setUp([
      budget({ policy_id: "agent-a", scope_kind: "agent", scope_id: "a", hard_limit_value: 100 }),
      budget({ policy_id: "session-s", scope_kind: "session", scope_id: "s", hard_limit_value: 100 }),
      budget({ policy_id: "user-u", scope_kind: "user", scope_id: "u", hard_limit_value: 100 }),
      budget({ policy_id: "key-k", scope_kind: "api_key", scope_id: "k", hard_limit_value: 100 }),
    ]);
    const keyCaller: Caller = { id: "k", kind: "api_key", scopes: new Set(["chat.create"]) };
    const blockedBy = async (overrides: Partial<AdmissionRequest>) => {
      const outcome = await governance.admit(request(overrides)).then(
        () => "admitted",
        (error: GatewayError) => /budget "([^"]+)"/.exec(error.message)?.[1],
      );
      return outcome;
    };
    expect(await blockedBy({ agentId: "a" })).toBe("agent-a");
    expect(await blockedBy({ agentId: "b" })).toBe("admitted");
    expect(await blockedBy({ sessionId: "s" })).toBe("session-s");
    expect(await blockedBy({ userId: "u" })).toBe("user-u");
    expect(await blockedBy({ userId: "v", sessionId: "t" })).toBe("admitted");
    expect(await blockedBy({ caller: keyCaller })).toBe("key-k");
    // The admin's id is not an API key id, whatever it is.
    expect(await blockedBy({ caller: { ...adminCaller, id: "k" } })).toBe("admitted");
  });

  it("lets alert_only policies through past their hard limit and alerts once per interval", async () => {
    const { governance, administration, warnings, clock } = await setUp([budget({ policy_id: "watch", hard_limit_value: 100, action: "alert_only" })]);
    for (let index = 0; index < 3; index += 1) await governance.settle(await governance.admit(request()), settled({ usage: usage(100, 50) }));
    expect(await administration.listAlerts("watch")).toHaveLength(1);
    expect(warnings.filter((message) => message.includes('budget "watch"'))).toHaveLength(1);
    clock.set("2024-05-16T01:00:00Z");
    await governance.settle(await governance.admit(request()), settled({ usage: usage(100, 50) }));
    expect(await administration.listAlerts("watch")).toHaveLength(2);
  });

  it("records a soft-limit alert once, when consumption reaches it, and lets the request through", async () => {
    const { governance, administration, warnings } = await setUp([budget({ policy_id: "soft", soft_limit_value: 250, hard_limit_value: 10_000 })]);
    await governance.settle(await governance.admit(request()), settled({ usage: usage(100, 100) }));
    expect(await administration.listAlerts("")).toHaveLength(0);
    await governance.settle(await governance.admit(request()), settled({ usage: usage(100, 100) }));
    await governance.settle(await governance.admit(request()), settled({ usage: usage(100, 100) }));
    const alerts = await administration.listAlerts("soft");
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ policyId: "soft", consumed: 400, limit: 250, intervalStart: Date.parse("2024-05-15T00:00:00Z") });
    expect(alerts[0]?.message).toContain('budget "soft" (tokens, daily) used 400 tokens of its soft limit 250 tokens');
    expect(warnings.filter((message) => message.includes("crossed its alert limit"))).toHaveLength(1);
  });

  it("does not lose a soft-limit alert whose settlement rolled back", async () => {
    const { governance, administration, warnings } = await setUp([budget({ policy_id: "soft", soft_limit_value: 150, hard_limit_value: 10_000 })]);
    const crossing = await governance.admit(request());
    const failing = governance.settle(crossing, settled({ usage: usage(100, 100) }), async () => {
      throw new Error("disk full");
    });
    await expect(failing).rejects.toThrow("disk full");
    expect(await administration.listAlerts("soft")).toHaveLength(0);
    expect(warnings.filter((message) => message.includes("crossed its alert limit"))).toHaveLength(0);
    // The charge was undone with it; the next settlement that crosses the limit records the alert.
    await governance.settle(await governance.admit(request()), settled({ usage: usage(100, 100) }));
    expect(await administration.listAlerts("soft")).toEqual([expect.objectContaining({ policyId: "soft", consumed: 200 })]);
    expect(warnings.filter((message) => message.includes("crossed its alert limit"))).toHaveLength(1);
  });

  it("previews admission without reserving or asking for approval", async () => {
    const { governance, administration } = await setUp([
      budget({ policy_id: "tok", hard_limit_value: 600 }),
      budget({ policy_id: "ask", scope_kind: "agent", scope_id: "a", hard_limit_value: 100, action: "require_approval" }),
    ]);
    expect(await governance.preview(request())).toEqual({ admitted: true, models: ["m"] });
    expect(await standing(administration, "tok")).toMatchObject({ reserved: 0 });
    expect(await governance.preview(request({ agentId: "a" }))).toMatchObject({
      admitted: false,
      code: "approval_required",
      message: expect.stringMatching(/^budget "ask" \(tokens, daily\) allows 100 tokens more/),
    });
    expect(await administration.listApprovals({ pendingOnly: false })).toEqual([]);
    await governance.admit(request());
    expect(await governance.preview(request())).toMatchObject({
      admitted: false,
      code: "budget_exceeded",
      message: expect.stringMatching(/^budget "tok" \(tokens, daily\) allows 100 tokens more; this request could use up to 500 tokens/),
    });
  });

  it("holds require_approval requests until approved, then lets the same request through once", async () => {
    const { governance, administration } = await setUp([budget({ policy_id: "ask", hard_limit_value: 100, action: "require_approval" })]);
    const held = await refusal(governance.admit(request({ hash: "h1" })));
    expect(held.kind).toBe("approval_required");
    const approvalId = approvalIdIn(held.message) ?? "";
    // A retry waits on the same approval, rather than asking again.
    expect(approvalIdIn((await refusal(governance.admit(request({ hash: "h1" })))).message)).toBe(approvalId);
    expect(approvalIdIn((await refusal(governance.admit(request({ hash: "h1", approvalId })))).message)).toBe(approvalId);
    const [pending] = await administration.listApprovals({ pendingOnly: true });
    expect(pending).toMatchObject({ approvalId, policyId: "ask", state: "pending", callerId: "admin", modelId: "m", projectedValue: 500, requestHash: "h1" });

    await administration.decideApproval({ approvalId, approve: true, reason: "launch day" });
    // Another request cannot use it.
    expect((await refusal(governance.admit(request({ hash: "h2", approvalId })))).message).toContain("was asked for another request");
    const admission = await governance.admit(request({ hash: "h1", approvalId }));
    await governance.settle(admission, settled());
    expect((await administration.listApprovals({ pendingOnly: false })).find((approval) => approval.approvalId === approvalId)).toMatchObject({
      state: "consumed",
      reason: "launch day",
    });
    // Used up: the same request is held again, under a new approval.
    const again = await refusal(governance.admit(request({ hash: "h1", approvalId })));
    expect(again.kind).toBe("approval_required");
    expect(again.message).toContain("already used");
    expect(approvalIdIn(again.message)).not.toBe(approvalId);
  });

  it("refuses a request whose approval was denied, and refuses deciding twice", async () => {
    const { governance, administration } = await setUp([budget({ policy_id: "ask", hard_limit_value: 100, action: "require_approval" })]);
    const approvalId = approvalIdIn((await refusal(governance.admit(request()))).message) ?? "";
    await administration.decideApproval({ approvalId, approve: false, reason: "too big" });
    const denied = await refusal(governance.admit(request({ approvalId })));
    expect(denied.kind).toBe("budget_exceeded");
    expect(denied.message).toContain(`approval ${approvalId} was denied: too big`);
    expect((await refusal(administration.decideApproval({ approvalId, approve: true, reason: "" }))).code).toBe("approval_already_decided");
    expect((await refusal(administration.decideApproval({ approvalId: "nope", approve: true, reason: "" }))).kind).toBe("not_found");
  });

  it("keeps runtime policies, lets them override config ones, and refuses deleting config policies", async () => {
    const { governance, administration } = await setUp([budget({ policy_id: "cfg", hard_limit_value: 100 })]);
    await expect(governance.admit(request())).rejects.toThrow(/budget "cfg"/);
    const raised: BudgetPolicy = {
      policyId: "cfg",
      scopeKind: "global",
      scopeId: "",
      metricKind: "tokens",
      intervalKind: "daily",
      softLimit: 0,
      hardLimit: 1000,
      action: "block",
      enabled: true,
      source: "runtime",
    };
    expect(await administration.setPolicy(raised)).toMatchObject({ source: "runtime", hardLimit: 1000 });
    await governance.admit(request());
    expect(await administration.deletePolicy("cfg")).toBe(true);
    await expect(governance.admit(request())).rejects.toThrow(/budget "cfg"/);
    expect((await refusal(administration.deletePolicy("cfg"))).code).toBe("budget_policy_from_config");
    expect(await administration.deletePolicy("never-was")).toBe(false);
    expect((await refusal(administration.setPolicy({ ...raised, policyId: "x", scopeKind: "agent" }))).param).toBe("policy.scope_id");
  });

  it("starts a redefined policy's counters afresh, and does not charge runs admitted under the old definition", async () => {
    const { governance, administration } = await setUp([]);
    const policy: BudgetPolicy = {
      policyId: "rt",
      scopeKind: "global",
      scopeId: "",
      metricKind: "tokens",
      intervalKind: "daily",
      softLimit: 0,
      hardLimit: 1000,
      action: "block",
      enabled: true,
      source: "runtime",
    };
    await administration.setPolicy(policy);
    const admission = await governance.admit(request());
    await administration.setPolicy({ ...policy, hardLimit: 2000 });
    expect(await standing(administration, "rt")).toMatchObject({ reserved: 500 });
    await administration.setPolicy({ ...policy, metricKind: "usd_cost", hardLimit: 1 });
    expect(await standing(administration, "rt")).toMatchObject({ consumed: 0, reserved: 0 });
    await governance.settle(admission, settled());
    expect(await standing(administration, "rt")).toMatchObject({ consumed: 0, reserved: 0 });
  });

  it("skips disabled policies, and releases reservations a stopped daemon left", async () => {
    const { store, governance, administration } = await setUp([
      budget({ policy_id: "off", hard_limit_value: 1, enabled: false }),
      budget({ policy_id: "on", hard_limit_value: 10_000 }),
    ]);
    await governance.admit(request());
    expect(await standing(administration, "on")).toMatchObject({ reserved: 500 });
    const restarted = await createBudgets({
      store,
      usage: usageConfig([budget({ policy_id: "on", hard_limit_value: 10_000 })]),
      priceBook,
      logger: pino({ level: "silent" }),
      now: () => Date.parse("2024-05-15T12:00:00Z"),
    });
    expect((await restarted.administration.listPolicies())[0]?.standing).toMatchObject({ reserved: 0 });
  });

  it("prices the worst case on the dearest model failover may move the run to", async () => {
    const { governance, administration } = await setUp([budget({ policy_id: "usd", metric_kind: "usd_cost", hard_limit_value: 100 })]);
    // 100k in (at the cache-write rate, the dearer) + 400k out: $1.10 on m, $11 on dear.
    const failover = { models: [servingModel("m", "m-up"), servingModel("dear")] };
    const admission = await governance.admit(request({ ...failover, tokens: { input: 100_000, output: 400_000 } }));
    expect((await standing(administration, "usd"))?.reserved).toBeCloseTo(11, 6);
    // Served by the dear model after all: charged at its rates.
    const cost = await governance.settle(admission, settled({ modelId: "dear", providerId: "other", upstreamModel: "dear", usage: usage(100_000, 100_000) }));
    expect(cost.costUsd).toBeCloseTo(3, 6);
    expect(await standing(administration, "usd")).toMatchObject({ reserved: 0, consumed: cost.costUsd });
    expect(admission.models).toEqual(["m", "dear"]);
  });

  it("admits a request that fits its model, keeping failover to the models the budget can afford", async () => {
    const { governance, administration } = await setUp([budget({ policy_id: "usd", metric_kind: "usd_cost", hard_limit_value: 5 })]);
    const tokens = { input: 100_000, output: 400_000 };
    const models = [servingModel("m", "m-up"), servingModel("dear"), servingModel("free")];
    // $1.10 on m fits $5; $11 on dear does not, so failover may not go there; free costs nothing.
    expect(await governance.preview(request({ models, tokens }))).toEqual({ admitted: true, models: ["m", "free"] });
    const admission = await governance.admit(request({ models, tokens }));
    expect(admission.models).toEqual(["m", "free"]);
    expect((await standing(administration, "usd"))?.reserved).toBeCloseTo(1.1, 6);
    // The admitted model itself must fit: first on dear, the same request is refused.
    const refused = await refusal(governance.admit(request({ models: [servingModel("dear"), servingModel("m", "m-up")], tokens })));
    expect(refused.message).toContain("this request could cost up to $11.00");
  });

  it("writes the run's ledger row in the transaction that reserves and charges its budgets", async () => {
    const { store, governance, administration } = await setUp([budget({ policy_id: "tok", hard_limit_value: 10_000 })]);
    const insertRow = (runId: string) => (db: Kysely<Database>) =>
      insertRun(db, {
        run_id: runId,
        created_at: 0,
        finished_at: null,
        status: "running",
        caller_id: "admin",
        model_id: "m",
        provider_id: "local",
        upstream_model: "m-up",
      });
    // A failing ledger write undoes the reservation with it.
    const broken = governance.admit(request({ runId: "r1" }), async (db) => {
      await insertRow("r1")(db);
      throw new Error("disk full");
    });
    await expect(broken).rejects.toThrow("disk full");
    expect(await findRun(store.db, "r1")).toBeUndefined();
    expect(await standing(administration, "tok")).toMatchObject({ reserved: 0 });

    const admission = await governance.admit(request({ runId: "r2" }), insertRow("r2"));
    expect(await findRun(store.db, "r2")).toMatchObject({ status: "running" });
    expect(await standing(administration, "tok")).toMatchObject({ reserved: 500 });
    // A failing ledger update undoes the charge: the reservation stays held, nothing is counted twice.
    const failedEnd = governance.settle(admission, settled(), async () => {
      throw new Error("disk full");
    });
    await expect(failedEnd).rejects.toThrow("disk full");
    expect(await standing(administration, "tok")).toMatchObject({ reserved: 500, consumed: 0 });
    const cost = await governance.settle(admission, settled({ usage: usage(100, 50) }), (db, priced) =>
      updateRun(db, "r2", { status: "succeeded", cost_usd: priced.costUsd }),
    );
    expect(await findRun(store.db, "r2")).toMatchObject({ status: "succeeded", cost_usd: cost.costUsd });
    expect(await standing(administration, "tok")).toMatchObject({ reserved: 0, consumed: 150 });
  });

  it("warns at start-up about api_key policies for keys never issued, and refuses setting one at runtime", async () => {
    const store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), "palyra-budgets-")), "palyra.sqlite"));
    stores.push(store);
    const warnings: string[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => void warnings.push(JSON.parse(line).msg) });
    const issued = new Set(["known-key"]);
    const { administration } = await createBudgets({
      store,
      usage: usageConfig([
        budget({ policy_id: "ghost", scope_kind: "api_key", scope_id: "typo-key", hard_limit_value: 5 }),
        budget({ policy_id: "real", scope_kind: "api_key", scope_id: "known-key", hard_limit_value: 5 }),
      ]),
      priceBook,
      logger,
      apiKeyExists: async (keyId) => issued.has(keyId),
    });
    expect(warnings).toEqual(['budget "ghost" is for API key "typo-key", which was never issued: it applies to no one']);
    const refused = await refusal(
      administration.setPolicy({ ...(await administration.listPolicies())[0]!, policyId: "rt", scopeId: "another-typo", source: "runtime" }),
    );
    expect(refused).toMatchObject({ kind: "invalid_request", param: "policy.scope_id" });
    expect(refused.message).toContain('no API key with id "another-typo"');
  });

  it("never over-reserves under many concurrent admissions", async () => {
    const { governance, administration } = await setUp([budget({ policy_id: "tok", hard_limit_value: 10_000 })]);
    const outcomes = await Promise.allSettled(Array.from({ length: 50 }, () => governance.admit(request())));
    expect(outcomes.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(20);
    expect(await standing(administration, "tok")).toMatchObject({ reserved: 10_000, remaining: 0 });
  });
});

describe("BudgetGovernance with a prompt's upper bound", () => {
  /** A request whose prompt has an upper bound and an exact count; counting is recorded. */
  function boundedRequest(prompt: { exact: number; bound: number }, output: number) {
    const exactCounts = { made: 0 };
    const admission = request({
      projectTokens: () => {
        exactCounts.made++;
        return { input: prompt.exact, output };
      },
      projectTokensUpperBound: () => ({ input: prompt.bound, output }),
    });
    return { admission, exactCounts };
  }

  it("reserves the bound without counting exactly while the limit leaves ample room, and charges actual usage", async () => {
    const { governance, administration } = await setUp([budget({ policy_id: "tok", hard_limit_value: 10_000 })]);
    const { admission, exactCounts } = boundedRequest({ exact: 100, bound: 400 }, 100);
    const admitted = await governance.admit(admission);
    expect(exactCounts.made).toBe(0);
    expect(await standing(administration, "tok")).toMatchObject({ reserved: 500 });
    await governance.settle(admitted, settled({ usage: usage(100, 50) }));
    expect(await standing(administration, "tok")).toMatchObject({ consumed: 150, reserved: 0 });
    expect(await governance.preview(boundedRequest({ exact: 100, bound: 400 }, 100).admission)).toMatchObject({ admitted: true });
  });

  it("counts exactly near the limit: a request that fits by its exact count is admitted and reserves that", async () => {
    const { governance, administration } = await setUp([budget({ policy_id: "tok", hard_limit_value: 1000 })]);
    const { admission, exactCounts } = boundedRequest({ exact: 600, bound: 2400 }, 400);
    expect(await governance.preview(admission)).toMatchObject({ admitted: true });
    await governance.admit(admission);
    expect(exactCounts.made).toBeGreaterThan(0);
    expect(await standing(administration, "tok")).toMatchObject({ reserved: 1000, remaining: 0 });
  });

  it("counts exactly near the limit: a request one token over by its exact count is refused with the exact figures", async () => {
    const { governance, administration } = await setUp([budget({ policy_id: "tok", hard_limit_value: 1000 })]);
    const { admission } = boundedRequest({ exact: 601, bound: 2400 }, 400);
    expect(await governance.preview(admission)).toMatchObject({ admitted: false, code: "budget_exceeded" });
    const error = await refusal(governance.admit(admission));
    expect(error.message).toContain("allows 1,000 tokens more; this request could use up to 1,001 tokens");
    expect(await standing(administration, "tok")).toMatchObject({ reserved: 0 });
  });

  it("never over-reserves under many concurrent admissions, reserving bounds while there is room and exact counts near the limit", async () => {
    const { governance, administration } = await setUp([budget({ policy_id: "tok", hard_limit_value: 10_000 })]);
    const outcomes = await Promise.allSettled(Array.from({ length: 50 }, () => governance.admit(boundedRequest({ exact: 100, bound: 400 }, 400).admission)));
    // 800 reserved by bound while 1,600 fit (11 runs, 8,800), then 500 by exact count while it fits (2 more).
    expect(outcomes.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(13);
    expect(await standing(administration, "tok")).toMatchObject({ reserved: 9_800 });
  });

  it("counts exactly once the bound would leave less than its own size of room, though the bound itself fits", async () => {
    const { governance, administration } = await setUp([budget({ policy_id: "tok", hard_limit_value: 1000 })]);
    const { admission, exactCounts } = boundedRequest({ exact: 100, bound: 200 }, 400);
    await governance.admit(admission);
    expect(exactCounts.made).toBeGreaterThan(0);
    expect(await standing(administration, "tok")).toMatchObject({ reserved: 500 });
  });
});
