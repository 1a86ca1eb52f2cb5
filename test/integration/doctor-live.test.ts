import { chmodSync, existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DoctorJson, doctor } from "../helpers/doctor-state.js";
import { startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";

// palyra doctor with the daemon up (the real daemon in this process, the real CLI spawned): the offline
// checks plus the daemon's side over its RPCs; the store is left to the daemon.

describe("palyra doctor with the daemon running", () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(() => gateway.stop());

  const run = (args: string[]) => doctor(gateway.stateDir, ["--grpc-bind", gateway.grpcAddress, ...args], { PALYRA_ADMIN_TOKEN: testToken });

  it("reports the daemon, its ports as its own, and its health, providers, auth profiles, audit and incidents", async () => {
    const result = await run(["--strict", "--json"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const report: DoctorJson = result.json();
    expect(report.daemon).toEqual({ running: true, pid: process.pid, grpc: gateway.grpcAddress, http: gateway.httpAddress });
    expect(report.ok).toBe(true);
    const status = Object.fromEntries(report.checks.map((check) => [check.check, check.status]));
    expect(status).toMatchObject({ daemon: "ok", sqlite: "ok", ports: "ok", health: "ok", providers: "ok", auth_profiles: "ok", audit: "ok", incidents: "ok" });
    expect(report.checks.find((check) => check.check === "ports")?.summary).toContain(`gRPC ${gateway.grpcAddress} (held by our daemon)`);
    expect(report.checks.find((check) => check.check === "store")?.summary).toMatch(/the daemon is running/);
    expect(report.checks.find((check) => check.check === "providers")?.summary).toBe("1 provider(s) tested");
  });

  it("repairs modes with the daemon up, and rolls them back", async () => {
    // The vault key: the daemon made it (the admin token comes from PALYRA_ADMIN_TOKEN here).
    const token = join(gateway.stateDir, "vault.key");
    chmodSync(token, 0o644);
    const strict = await run(["--strict", "--json"]);
    expect(strict.code).toBe(1);
    expect(strict.json().findings.map((finding) => [finding.object, finding.repair])).toContainEqual([token, "fix_modes"]);

    const repair = await run(["--repair", "--json"]);
    expect(repair.code).toBe(0);
    const record = repair.json().repairs;
    // Neither touches the store, so neither waits for the daemon to stop (it runs on its embedded defaults: no palyra.toml).
    expect(record?.planned.map((planned) => [planned.kind, planned.heldBack])).toEqual([
      ["fix_modes", null],
      ["create_config", null],
    ]);
    expect(statSync(token).mode & 0o777).toBe(0o600);

    const rollback = await run(["--rollback", record?.recoveryId ?? ""]);
    expect(rollback.code).toBe(0);
    expect(statSync(token).mode & 0o777).toBe(0o644);
    expect(existsSync(join(gateway.stateDir, "palyra.toml"))).toBe(false);
    chmodSync(token, 0o600);
  });
});
