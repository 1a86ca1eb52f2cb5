import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { backupConfigFile } from "../../src/config/config-backups.js";
import { deadPid, doctor, doctorWorkspace, readManifest, removeDoctorWorkspaces, stateSnapshot } from "../helpers/doctor-state.js";

// palyra doctor with no daemon, through the real CLI: each breakage is diagnosed, listed by a dry run
// (which changes nothing), repaired (with a recovery folder and manifest) and rolled back to broken.

afterAll(removeDoctorWorkspaces);

/** diagnose → --repair --dry-run → --repair → --rollback, with the checks each step must pass. */
async function repairCycle(stateDir: string, kind: string, fixed: () => void) {
  const broken = stateSnapshot(stateDir);
  // A dry run diagnoses too: its findings name the repair.
  const dryRun = await doctor(stateDir, ["--repair", "--dry-run", "--json"]);
  expect(dryRun.code).toBe(0);
  expect(dryRun.json().findings.some((finding) => finding.repair === kind)).toBe(true);
  const planned = dryRun.json().repairs;
  expect(planned?.dryRun).toBe(true);
  expect(planned?.planned.map((repair) => repair.kind)).toContain(kind);
  expect(stateSnapshot(stateDir)).toEqual(broken);
  expect(existsSync(join(stateDir, "recovery"))).toBe(false);

  const repair = await doctor(stateDir, ["--repair", "--json"]);
  expect(repair.stderr).toBe("");
  expect(repair.code).toBe(0);
  const record = repair.json().repairs;
  expect(record?.applied.find((applied) => applied.kind === kind)).toMatchObject({ ok: true });
  expect(repair.json().findings.filter((finding) => finding.repair === kind)).toEqual([]);
  fixed();
  const folder = record?.recoveryFolder ?? "";
  expect(folder).toBe(join(stateDir, "recovery", record?.recoveryId ?? ""));
  expect(readManifest(folder).steps.map((step) => step.kind)).toContain(kind);
  expect(statSync(folder).mode & 0o777).toBe(0o700);

  const rollback = await doctor(stateDir, ["--rollback", record?.recoveryId ?? "", "--json"]);
  expect(rollback.stderr).toBe("");
  expect(rollback.code).toBe(0);
  expect(stateSnapshot(stateDir)).toEqual(broken);
  return record;
}

describe("palyra doctor without a daemon", () => {
  it("finds loose modes, fails --strict on them, and fixes them back and forth", async () => {
    const { stateDir } = doctorWorkspace();
    mkdirSync(stateDir, { mode: 0o755 });
    chmodSync(stateDir, 0o755);
    writeFileSync(join(stateDir, "admin-token"), "plk_admin_test\n", { mode: 0o644 });
    writeFileSync(join(stateDir, "palyra.toml"), "version = 1\n", { mode: 0o664 });

    const strict = await doctor(stateDir, ["--strict", "--json"]);
    expect(strict.code).toBe(1);
    const report = strict.json();
    expect(report.ok).toBe(false);
    expect(report.daemon).toEqual({ running: false });
    expect(report.checks.find((check) => check.check === "state_dir")?.status).toBe("blocking");
    expect(report.findings.filter((finding) => finding.check === "state_dir").map((finding) => [finding.object, finding.severity, finding.repair])).toEqual([
      [stateDir, "blocking", "fix_modes"],
      [join(stateDir, "admin-token"), "blocking", "fix_modes"],
      [join(stateDir, "palyra.toml"), "blocking", "fix_modes"],
    ]);
    for (const finding of report.findings) expect(finding.fix).not.toBe("");
    // Without --strict a diagnosis exits 0 whatever it finds.
    expect((await doctor(stateDir, [])).code).toBe(0);

    await repairCycle(stateDir, "fix_modes", () => {
      expect(statSync(stateDir).mode & 0o777).toBe(0o700);
      expect(statSync(join(stateDir, "admin-token")).mode & 0o777).toBe(0o600);
      expect(statSync(join(stateDir, "palyra.toml")).mode & 0o777).toBe(0o600);
    });
    expect(statSync(stateDir).mode & 0o777).toBe(0o755);
  });

  it("restores the newest config backup that loads when palyra.toml no longer parses", async () => {
    const { stateDir } = doctorWorkspace();
    mkdirSync(stateDir, { mode: 0o700 });
    const file = join(stateDir, "palyra.toml");
    const good = 'version = 1\n[daemon]\nlog_level = "warn"\n';
    writeFileSync(file, good, { mode: 0o600 });
    backupConfigFile(file, new Date("2026-01-01T00:00:00Z"));
    writeFileSync(file, 'version = 1\n[daemon\nlog_level = "warn"\n', { mode: 0o600 });
    // A newer backup that is broken too is passed over.
    backupConfigFile(file, new Date("2026-01-02T00:00:00Z"));

    const strict = await doctor(stateDir, ["--strict", "--json"]);
    expect(strict.code).toBe(1);
    const finding = strict.json().findings.find((candidate) => candidate.check === "config");
    expect(finding).toMatchObject({ severity: "blocking", object: file, repair: "restore_config" });
    expect(finding?.problem).toMatch(/no longer parses/);
    expect(finding?.fix).toContain(`${file}.bak.20260101T000000000Z`);

    const record = await repairCycle(stateDir, "restore_config", () => expect(readFileSync(file, "utf8")).toBe(good));
    const entries = readManifest(record?.recoveryFolder ?? "").steps.find((step) => step.kind === "restore_config")?.entries;
    expect(entries).toEqual([expect.objectContaining({ action: "file", path: file })]);
    expect(readFileSync(file, "utf8")).toContain("[daemon\n");
  });

  it("removes a stale daemon.json, and creates a missing config from the defaults", async () => {
    const { stateDir } = doctorWorkspace();
    mkdirSync(stateDir, { mode: 0o700 });
    writeFileSync(join(stateDir, "daemon.json"), `${JSON.stringify({ pid: deadPid(), grpc: "127.0.0.1:9" })}\n`, { mode: 0o600 });

    const report = (await doctor(stateDir, ["--json"])).json();
    expect(report.daemon.running).toBe(false);
    expect(report.findings.find((finding) => finding.check === "daemon")).toMatchObject({ severity: "warning", repair: "remove_daemon_json" });
    expect(report.findings.find((finding) => finding.check === "config")).toMatchObject({ severity: "info", repair: "create_config" });
    // Neither is blocking: --strict passes.
    expect((await doctor(stateDir, ["--strict"])).code).toBe(0);

    await repairCycle(stateDir, "remove_daemon_json", () => {
      expect(existsSync(join(stateDir, "daemon.json"))).toBe(false);
      expect(readFileSync(join(stateDir, "palyra.toml"), "utf8")).toMatch(/^version = 1$/m);
    });
    expect(existsSync(join(stateDir, "palyra.toml"))).toBe(false);
  });

  it("refuses an unknown or unsafe recovery id, naming the ones there are", async () => {
    const { stateDir } = doctorWorkspace();
    mkdirSync(stateDir, { mode: 0o700 });
    const result = await doctor(stateDir, ["--rollback", "../.."]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no recovery "\.\.\/\.\." .*there are none/);
  });
});
