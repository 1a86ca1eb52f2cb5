import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CliError } from "../../src/cli/cli-error.js";
import { discoverDaemon, resolveStateDir } from "../../src/cli/daemon-connection.js";

const dir = mkdtempSync(join(tmpdir(), "palyra-cli-discovery-"));
writeFileSync(join(dir, "daemon.json"), `${JSON.stringify({ pid: 4242, grpc: "127.0.0.1:5001", http: "127.0.0.1:5002" })}\n`);
writeFileSync(join(dir, "admin-token"), "plk_admin_from_file\n", { mode: 0o600 });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("discoverDaemon", () => {
  it("prefers --addr, then PALYRA_GRPC_ADDR, then daemon.json, and says which it used", () => {
    const env = { PALYRA_GRPC_ADDR: "127.0.0.1:6001" };
    expect(discoverDaemon({ addr: "127.0.0.1:7001", stateDir: dir }, env)).toMatchObject({ address: "127.0.0.1:7001", addressSource: "--addr" });
    expect(discoverDaemon({ stateDir: dir }, env)).toMatchObject({ address: "127.0.0.1:6001", addressSource: "PALYRA_GRPC_ADDR" });
    expect(discoverDaemon({ stateDir: dir }, {})).toMatchObject({
      address: "127.0.0.1:5001",
      addressSource: join(dir, "daemon.json"),
      daemonPid: 4242,
    });
  });

  it("takes the token from PALYRA_ADMIN_TOKEN before the state directory", () => {
    expect(discoverDaemon({ stateDir: dir }, {}).token).toBe("plk_admin_from_file");
    expect(discoverDaemon({ stateDir: dir }, { PALYRA_ADMIN_TOKEN: " plk_env " }).token).toBe("plk_env");
  });

  it("finds the state directory through PALYRA_STATE_ROOT, else ./.palyra", () => {
    expect(discoverDaemon({}, { PALYRA_STATE_ROOT: dir }).address).toBe("127.0.0.1:5001");
    expect(resolveStateDir(undefined, {})).toBe(resolve(".palyra"));
  });

  it("explains what to do when there is no daemon.json", () => {
    const empty = join(dir, "nothing-here");
    expect(() => discoverDaemon({ stateDir: empty }, {})).toThrow(CliError);
    expect(() => discoverDaemon({ stateDir: empty }, {})).toThrow(/pass --addr, set PALYRA_GRPC_ADDR.*nothing-here\/daemon\.json does not exist/);
  });

  it("rejects an address that is not host:port, naming where it came from", () => {
    expect(() => discoverDaemon({ addr: "localhost" }, {})).toThrow(/^--addr: "localhost" is not a "host:port" address/);
    expect(() => discoverDaemon({}, { PALYRA_GRPC_ADDR: "nope" })).toThrow(/^PALYRA_GRPC_ADDR: /);
  });
});
