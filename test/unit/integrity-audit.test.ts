import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { type AuditDeps, runIntegrityAudit, summarizeAudit } from "../../src/automation/audit/integrity-audit.js";
import { closedRunRemediation } from "../../src/automation/audit/open-run-check.js";
import type { ProviderConfig } from "../../src/config/schema.js";
import { profileToRow } from "../../src/identity/auth-profiles/profile-rows.js";
import { loadMasterKeys } from "../../src/identity/vault/master-key.js";
import { Vault } from "../../src/identity/vault/vault.js";
import type { InFlightRun } from "../../src/runs/run-engine.js";
import { intervalAt } from "../../src/shared/budget-interval.js";
import type { BudgetPolicy } from "../../src/shared/budget-policy.js";
import { upsertAuthProfile } from "../../src/store/auth-profiles-repository.js";
import { chargeCounters, findCounter } from "../../src/store/budget-counters-repository.js";
import { upsertBudgetPolicyRow } from "../../src/store/budget-policies-repository.js";
import { listIncidentRows } from "../../src/store/incidents-repository.js";
import { openSqliteStore, type Store } from "../../src/store/open-store.js";
import { findRun, insertRun } from "../../src/store/runs-repository.js";
import { runningRunRow } from "../helpers/run-rows.js";

const stores: Store[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

// 2026-03-10T12:00:00Z: the daily interval is that UTC day.
const now = Date.UTC(2026, 2, 10, 12);
const day = intervalAt("daily", now, "UTC");

const agentTokens: BudgetPolicy = {
  policyId: "agent-a-tokens",
  scopeKind: "agent",
  scopeId: "a",
  metricKind: "tokens",
  intervalKind: "daily",
  softLimit: 0,
  hardLimit: 1_000_000,
  action: "block",
  enabled: true,
  source: "config",
};
const globalUsd: BudgetPolicy = { ...agentTokens, policyId: "global-usd", scopeKind: "global", scopeId: "", metricKind: "usd_cost" };

async function fixture(options: { providers?: ProviderConfig[]; policies?: BudgetPolicy[]; inFlight?: string[] } = {}) {
  const stateDir = mkdtempSync(join(tmpdir(), "palyra-audit-"));
  const store = await openSqliteStore(join(stateDir, "palyra.sqlite"));
  stores.push(store);
  const vault = new Vault(store.db, loadMasterKeys(stateDir, {}), () => now);
  let ids = 0;
  const deps: AuditDeps = {
    db: store.db,
    vault,
    providers: () => options.providers ?? [],
    policies: () => options.policies ?? [],
    timeZone: "UTC",
    engine: { inFlight: () => (options.inFlight ?? []).map((runId) => ({ runId }) as InFlightRun) },
    logger: pino({ level: "silent" }),
    now: () => now,
    newId: () => `incident-${++ids}`,
    batchSize: 2,
  };
  return { store, vault, deps };
}

/** A finished run of agent "a" in today's interval. */
function finishedRun(runId: string, tokens: { input: number; output: number }, costUsd: number, overrides: Parameters<typeof runningRunRow>[0] | object = {}) {
  return runningRunRow({
    run_id: runId,
    created_at: day.start + 1_000,
    finished_at: day.start + 2_000,
    status: "succeeded",
    agent_id: "a",
    input_tokens: tokens.input,
    output_tokens: tokens.output,
    cost_usd: costUsd,
    ...overrides,
  });
}

describe("integrity audit", () => {
  it("finds a vault row whose ciphertext was altered, naming the secret but never a value", async () => {
    const { store, vault, deps } = await fixture();
    await vault.put("good", "sk-good-value");
    await vault.put("tampered", "sk-tampered-value");
    const row = await store.db.selectFrom("vault_secrets").selectAll().where("name", "=", "tampered").executeTakeFirstOrThrow();
    const bytes = Buffer.from(row.ciphertext, "base64");
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0x01; // flip one bit of the tag
    await store.db
      .updateTable("vault_secrets")
      .set({ ciphertext: bytes.toString("base64") })
      .where("name", "=", "tampered")
      .execute();

    const report = await runIntegrityAudit(deps, { repair: true });

    expect(report.findings.map((finding) => [finding.check, finding.objectKind, finding.objectId, finding.severity])).toEqual([
      ["vault_secret", "secret", "tampered", "critical"],
    ]);
    expect(JSON.stringify(report)).not.toContain("sk-");
    const incidents = await listIncidentRows(store.db, { includeResolved: true, limit: 10 });
    expect(incidents.map((incident) => [incident.kind, incident.object_id, incident.state])).toEqual([["audit_vault_secret", "tampered", "open"]]);
    expect(summarizeAudit(report)).toBe("audit: 2 checked, 1 finding");
  });

  it("finds a provider's and an auth profile's reference to a secret the vault does not hold", async () => {
    const providers = [
      { provider_id: "held", api_key_vault_ref: "vault:present" },
      { provider_id: "dangling", api_key_vault_ref: "vault:gone" },
      { provider_id: "profiled", auth_profile_id: "no-such-profile" },
    ] as ProviderConfig[];
    const { store, vault, deps } = await fixture({ providers });
    await vault.put("present", "x");
    await upsertAuthProfile(
      store.db,
      profileToRow({
        profileId: "p1",
        providerKind: "openai",
        name: "p1",
        agentId: undefined,
        credential: { kind: "api_key", vaultRef: "vault:auth-profile/p1/abc/api-key" },
        baseUrl: undefined,
        createdAt: now,
        updatedAt: now,
      }),
    );

    const report = await runIntegrityAudit(deps, { repair: false });

    expect(report.findings.filter((finding) => finding.check === "secret_reference").map((finding) => finding.objectId)).toEqual([
      "provider/dangling -> vault:gone",
      "provider/profiled -> auth_profile:no-such-profile",
      "auth_profile/p1 -> vault:auth-profile/p1/abc/api-key",
    ]);
  });

  it("finds a drifted counter, leaves it in observe mode, and sets it to the ledger's sum with repair", async () => {
    const { store, deps } = await fixture({ policies: [agentTokens, globalUsd], inFlight: ["live"] });
    // Five runs (pages of 2): agent a's tokens 10+20+30+40 (the cache hit counts none), another agent's
    // run counts for the global policy only, a run still running counts nowhere, yesterday's neither.
    await insertRun(store.db, finishedRun("r1", { input: 4, output: 6 }, 0.01));
    await insertRun(store.db, finishedRun("r2", { input: 10, output: 10 }, 0.02));
    await insertRun(store.db, finishedRun("r3", { input: 30, output: 0 }, 0.03, { status: "failed" }));
    await insertRun(store.db, finishedRun("r4", { input: 20, output: 20 }, 0.04));
    await insertRun(store.db, finishedRun("r5", { input: 99, output: 99 }, 0, { cache_hit: 1 }));
    await insertRun(store.db, finishedRun("other", { input: 500, output: 500 }, 0.5, { agent_id: "b" }));
    await insertRun(store.db, finishedRun("live", { input: 7, output: 7 }, 0, { status: "running", finished_at: null }));
    await insertRun(store.db, finishedRun("yesterday", { input: 1000, output: 0 }, 1, { created_at: day.start - 1 }));
    const key = (policyId: string) => ({ policyId, intervalStart: day.start, intervalEnd: day.end });
    // The global USD counter agrees with the ledger (0.6); agent a's token counter drifted to 175.
    await chargeCounters(store.db, [
      { key: key("agent-a-tokens"), consumed: 175, released: 0 },
      { key: key("global-usd"), consumed: 0.01 + 0.02 + 0.03 + 0.04 + 0.5, released: 0 },
    ]);

    const observed = await runIntegrityAudit(deps, { repair: false });
    expect(observed.findings.map((finding) => [finding.objectId, finding.remediation])).toEqual([
      [`agent-a-tokens@${new Date(day.start).toISOString()}`, undefined],
    ]);
    expect(observed.findings[0]?.message).toContain("175");
    expect(observed.findings[0]?.message).toContain("100");
    expect(Number((await findCounter(store.db, "agent-a-tokens", day.start))?.consumed)).toBe(175);

    const repaired = await runIntegrityAudit(deps, { repair: true });
    expect(repaired.findings).toHaveLength(1);
    expect(repaired.findings[0]?.remediation).toContain("100");
    expect(Number((await findCounter(store.db, "agent-a-tokens", day.start))?.consumed)).toBe(100);
    const [incident] = await listIncidentRows(store.db, { includeResolved: true, limit: 10 });
    expect([incident?.kind, incident?.state, incident?.count, incident?.remediation]).toEqual([
      "audit_budget_counter",
      "resolved",
      2,
      repaired.findings[0]?.remediation,
    ]);

    expect((await runIntegrityAudit(deps, { repair: true })).findings).toEqual([]);
  });

  it("does not judge a runtime policy set during its current interval: the ledger holds runs from before it", async () => {
    const runtime: BudgetPolicy = { ...agentTokens, source: "runtime" };
    const { store, deps } = await fixture({ policies: [runtime] });
    await insertRun(store.db, finishedRun("before-the-policy", { input: 50, output: 50 }, 0));
    await upsertBudgetPolicyRow(store.db, {
      policy_id: runtime.policyId,
      scope_kind: "agent",
      scope_id: "a",
      metric_kind: "tokens",
      interval_kind: "daily",
      soft_limit_value: 0,
      hard_limit_value: 1_000_000,
      action: "block",
      enabled: 1,
      created_at: day.start + 5_000,
      updated_at: day.start + 5_000,
    });
    expect((await runIntegrityAudit(deps, { repair: true })).findings).toEqual([]);
    expect(await findCounter(store.db, runtime.policyId, day.start)).toBeUndefined();
  });

  it("finds a run recorded as running that the engine does not have in flight, and closes it with repair", async () => {
    const { store, deps } = await fixture({ inFlight: ["flying"] });
    await insertRun(store.db, runningRunRow({ run_id: "orphan", created_at: now - 60_000 }));
    await insertRun(store.db, runningRunRow({ run_id: "flying", created_at: now - 60_000 }));
    // Admitted as the audit began: not yet the engine's to hold, so not judged.
    await insertRun(store.db, runningRunRow({ run_id: "just-started", created_at: now }));

    const observed = await runIntegrityAudit(deps, { repair: false });
    expect(observed.findings.map((finding) => [finding.check, finding.objectKind, finding.objectId, finding.remediation])).toEqual([
      ["open_run", "run_record", "orphan", undefined],
    ]);
    expect((await findRun(store.db, "orphan"))?.status).toBe("running");
    expect((await listIncidentRows(store.db, { includeResolved: false, limit: 10 })).map((incident) => incident.kind)).toEqual(["audit_open_run"]);

    const repaired = await runIntegrityAudit(deps, { repair: true });
    expect(repaired.findings[0]?.remediation).toBe(closedRunRemediation);
    expect(await findRun(store.db, "orphan")).toMatchObject({ status: "failed", error_kind: "interrupted", finished_at: now });
    expect((await findRun(store.db, "flying"))?.status).toBe("running");
    expect(await listIncidentRows(store.db, { includeResolved: false, limit: 10 })).toEqual([]);
  });

  it("resolves an audit incident once a later audit no longer finds its problem", async () => {
    const providers = [{ provider_id: "dangling", api_key_vault_ref: "vault:later" }] as ProviderConfig[];
    const { store, vault, deps } = await fixture({ providers });
    expect((await runIntegrityAudit(deps, { repair: false })).findings).toHaveLength(1);
    await vault.put("later", "x");
    expect((await runIntegrityAudit(deps, { repair: false })).findings).toEqual([]);
    const [incident] = await listIncidentRows(store.db, { includeResolved: true, limit: 10 });
    expect([incident?.kind, incident?.state]).toEqual(["audit_secret_reference", "resolved"]);
  });
});
