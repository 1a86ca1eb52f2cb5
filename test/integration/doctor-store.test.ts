import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openSqliteFile } from "../../src/diagnostics/doctor/sqlite-file.js";
import { intervalAt } from "../../src/shared/budget-interval.js";
import { chargeCounters, findCounter, reserveOnCounters, setCounterConsumed } from "../../src/store/budget-counters-repository.js";
import { openSqliteStore } from "../../src/store/open-store.js";
import { findRun, insertRun } from "../../src/store/runs-repository.js";
import { doctor, doctorWorkspace, readManifest, removeDoctorWorkspaces, stateSnapshot } from "../helpers/doctor-state.js";
import { runningRunRow } from "../helpers/run-rows.js";

// palyra doctor's store repairs with no daemon, through the real CLI, on a real SQLite file whose rows
// are made through the store's repositories: a budget counter drifted from the ledger, a reservation and
// a run a killed daemon left behind. Diagnose → dry run (nothing changes) → repair → rollback.

afterAll(removeDoctorWorkspaces);

const config = `version = 1
[[usage.budgets]]
policy_id = "daily-tokens"
scope_kind = "global"
metric_kind = "tokens"
interval_kind = "daily"
hard_limit_value = 1000000
`;

/** What the test reads back: the counter, and whether the left-open run is still open. */
async function standing(stateDir: string) {
  const file = openSqliteFile(join(stateDir, "palyra.sqlite"), { readonly: true });
  try {
    const interval = intervalAt("daily", Date.now(), "UTC");
    const counter = await findCounter(file.db, "daily-tokens", interval.start);
    return { consumed: Number(counter?.consumed), reserved: Number(counter?.reserved), openRun: (await findRun(file.db, "left-open"))?.status };
  } finally {
    await file.close();
  }
}

describe("palyra doctor's store repairs", () => {
  it("rebuilds a drifted counter from the ledger, releases reservations and closes a left-open run, backed by a database copy", async () => {
    const { stateDir } = doctorWorkspace();
    mkdirSync(stateDir, { mode: 0o700 });
    writeFileSync(join(stateDir, "palyra.toml"), config, { mode: 0o600 });
    const now = Date.now();
    const interval = intervalAt("daily", now, "UTC");
    const key = { policyId: "daily-tokens", intervalStart: interval.start, intervalEnd: interval.end };
    const store = await openSqliteStore(join(stateDir, "palyra.sqlite"));
    // One finished run of 42 tokens, charged; then the counter drifts by 1000, as a bad write would leave it.
    await insertRun(store.db, runningRunRow({ run_id: "done", created_at: now, status: "succeeded", finished_at: now, input_tokens: 30, output_tokens: 12 }));
    await chargeCounters(store.db, [{ key, consumed: 42, released: 0 }]);
    expect(await setCounterConsumed(store.db, key, 42, 1042)).toBe(true);
    // A run a killed daemon left open, with its reservation.
    await insertRun(store.db, runningRunRow({ run_id: "left-open", created_at: now - 1000 }));
    await reserveOnCounters(store.db, [{ key, amount: 500 }]);
    await store.close();
    const broken = stateSnapshot(stateDir);
    expect(await standing(stateDir)).toEqual({ consumed: 1042, reserved: 500, openRun: "running" });

    const dryRun = await doctor(stateDir, ["--repair", "--dry-run", "--json"]);
    expect(dryRun.stderr).toBe("");
    const report = dryRun.json();
    expect(report.findings.filter((finding) => finding.check !== "keys").map((finding) => [finding.check, finding.severity, finding.repair])).toEqual([
      ["reservations", "warning", "release_reservations"],
      ["open_runs", "warning", "close_open_runs"],
      ["budget_counters", "warning", "rebuild_budget_counters"],
    ]);
    expect(report.findings.find((finding) => finding.check === "budget_counters")?.problem).toMatch(/counts 1042 tokens .* the ledger 42/);
    expect(report.repairs?.planned.map((repair) => repair.kind)).toEqual(["release_reservations", "close_open_runs", "rebuild_budget_counters"]);
    expect(await standing(stateDir)).toEqual({ consumed: 1042, reserved: 500, openRun: "running" });
    expect(existsSync(join(stateDir, "recovery"))).toBe(false);

    const repair = await doctor(stateDir, ["--repair", "--strict", "--json"]);
    expect(repair.stderr).toBe("");
    expect(repair.code).toBe(0);
    const record = repair.json().repairs;
    expect(record?.applied.map((applied) => [applied.kind, applied.ok])).toEqual([
      ["release_reservations", true],
      ["close_open_runs", true],
      ["rebuild_budget_counters", true],
    ]);
    // The left-open run had no heartbeat: closed, charged nothing; the counter is the ledger's 42.
    expect(await standing(stateDir)).toEqual({ consumed: 42, reserved: 0, openRun: "failed" });
    expect(repair.json().findings.filter((finding) => finding.check !== "keys")).toEqual([]);
    const manifest = readManifest(record?.recoveryFolder ?? "");
    expect(manifest.steps.map((step) => step.kind)).toEqual(["backup_database", "release_reservations", "close_open_runs", "rebuild_budget_counters"]);
    expect(manifest.steps[0]?.entries).toEqual([expect.objectContaining({ action: "file", path: join(stateDir, "palyra.sqlite") })]);

    const rollback = await doctor(stateDir, ["--rollback", record?.recoveryId ?? ""]);
    expect(rollback.stderr).toBe("");
    expect(rollback.stdout).toContain(`rolled back ${record?.recoveryId}`);
    expect(await standing(stateDir)).toEqual({ consumed: 1042, reserved: 500, openRun: "running" });
    expect(stateSnapshot(stateDir)).toEqual(broken);
    // Once only: a second rollback of the same repair is refused.
    expect((await doctor(stateDir, ["--rollback", record?.recoveryId ?? ""])).stderr).toMatch(/rolled back already/);
  });

  it("reports a database that is not one as blocking, naming the fix, without stopping the other checks", async () => {
    const { stateDir } = doctorWorkspace();
    mkdirSync(stateDir, { mode: 0o700 });
    writeFileSync(join(stateDir, "palyra.sqlite"), "not a database, but long enough to look like a header of one".repeat(100), { mode: 0o600 });
    const result = await doctor(stateDir, ["--strict", "--json"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(1);
    const report = result.json();
    const sqlite = report.findings.find((finding) => finding.check === "sqlite");
    expect(sqlite).toMatchObject({ severity: "blocking", repair: null });
    expect(sqlite?.fix).toMatch(/restore .*palyra\.sqlite from a backup/);
    expect(report.checks.map((check) => check.check)).toEqual(expect.arrayContaining(["disk", "ports", "store"]));
  });
});
