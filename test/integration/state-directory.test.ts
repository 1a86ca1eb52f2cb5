import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, describe, expect, it } from "vitest";
import { Role } from "../../gen/es/palyra/gateway/v1/common_pb.js";
import { GatewayService } from "../../gen/es/palyra/gateway/v1/gateway_pb.js";
import { UsageService } from "../../gen/es/palyra/gateway/v1/usage_pb.js";
import { processIsRunning } from "../../src/shared/daemon-info.js";
import { glacialBudgetConfig } from "../fixtures/glacial-config.js";
import { cleanEnv, type PalyraProcess, runPalyra, startDaemon } from "./support/palyra-process.js";

// One daemon per state directory: a second one (npm start twice, say) must leave the first alone, a
// clean stop gives the directory up, and a killed daemon's lock is never stale. Real daemon processes.

const loopbackBinds = ["--grpc-bind", "127.0.0.1:0", "--http-bind", "127.0.0.1:0"];
const token = "state-dir-test-token";
const env = cleanEnv({ PALYRA_ADMIN_TOKEN: token, PALYRA__DAEMON__LOG_LEVEL: "warn" });
const auth = { headers: { authorization: `Bearer ${token}` } };

const config = glacialBudgetConfig({ hardLimitTokens: 100_000, shutdownGraceMs: 200 });

// A directory someone made world-readable, holding a world-readable file: the daemon must make both private.
const stateDir = mkdtempSync(join(tmpdir(), "palyra-state-"));
chmodSync(stateDir, 0o755);
const configFile = join(stateDir, "palyra-test.toml");
writeFileSync(configFile, config, { mode: 0o644 });
const daemonArgs = ["--config", configFile, "--state-dir", stateDir, ...loopbackBinds];
const running: PalyraProcess[] = [];

afterAll(() => {
  for (const daemon of running) if (daemon.running) daemon.child.kill("SIGKILL");
});

async function start() {
  const started = await startDaemon(daemonArgs, { cwd: stateDir, env });
  running.push(started.daemon);
  return started;
}

async function reservedTokens(grpc: string): Promise<number> {
  const usage = createClient(UsageService, createGrpcTransport({ baseUrl: `http://${grpc}` }));
  const { policies } = await usage.listBudgetPolicies({}, auth);
  return policies.find((policy) => policy.policyId === "daily-tokens")?.standing?.reserved ?? -1;
}

describe("the state directory", () => {
  it("belongs to one daemon: a second exits at once naming the first, and changes nothing", async () => {
    const first = await start();
    const gateway = createClient(GatewayService, createGrpcTransport({ baseUrl: `http://${first.ready.grpc}` }));
    const abort = new AbortController();
    const events = gateway
      .runStream(
        (async function* () {
          yield {
            action: {
              case: "start" as const,
              value: { model: "glacial-echo", messages: [{ role: Role.USER, parts: [{ part: { case: "text" as const, value: "hold this" } }] }] },
            },
          };
          await new Promise((resolve) => abort.signal.addEventListener("abort", resolve));
        })(),
        { ...auth, signal: abort.signal },
      )
      [Symbol.asyncIterator]();
    // "accepted" comes once the run is admitted: its worst case is reserved from then until it ends.
    expect((await events.next()).value?.event.case).toBe("accepted");
    const reserved = await reservedTokens(first.ready.grpc);
    expect(reserved).toBeGreaterThan(0);
    const filesBefore = readdirSync(stateDir).sort();
    // The lock is a lock only: no journal file beside it.
    expect(filesBefore.filter((name) => name.startsWith("daemon.lock"))).toEqual(["daemon.lock"]);
    const infoBefore = readFileSync(join(stateDir, "daemon.json"), "utf8");

    const second = await runPalyra(["daemon", ...daemonArgs], { cwd: stateDir, env });
    expect(second.code).toBe(2);
    expect(second.stdout).not.toContain('"msg":"ready"');
    expect(second.stderr).toContain(`another palyra daemon (pid ${first.daemon.child.pid}, gRPC ${first.ready.grpc}, HTTP ${first.ready.http})`);
    expect(second.stderr).toContain(stateDir);

    // No recovery ran: the live run's reservation and the first daemon's files are as they were.
    expect(await reservedTokens(first.ready.grpc)).toBe(reserved);
    expect(readdirSync(stateDir).sort()).toEqual(filesBefore);
    expect(readFileSync(join(stateDir, "daemon.json"), "utf8")).toBe(infoBefore);
    abort.abort();

    // A clean stop gives the directory up and takes daemon.json with it.
    first.daemon.child.kill("SIGTERM");
    expect((await first.daemon.exited).code).toBe(0);
    expect(existsSync(join(stateDir, "daemon.json"))).toBe(false);
  });

  it("is private, whatever modes it had before", () => {
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
    for (const name of readdirSync(stateDir)) {
      expect(statSync(join(stateDir, name)).mode & 0o777, name).toBe(0o600);
    }
  });

  it("is free again at once after a daemon is killed: the lock dies with its process", async () => {
    const killed = await start();
    const pid = killed.daemon.child.pid ?? 0;
    killed.daemon.child.kill("SIGKILL");
    await killed.daemon.exited;
    expect(processIsRunning(pid)).toBe(false);

    const next = await start();
    expect(JSON.parse(readFileSync(join(stateDir, "daemon.json"), "utf8"))).toEqual({
      pid: next.daemon.child.pid,
      grpc: next.ready.grpc,
      http: next.ready.http,
    });
    next.daemon.child.kill("SIGTERM");
    expect((await next.daemon.exited).code).toBe(0);
  });

  it("is refused, naming it, when it is a file", async () => {
    const parent = mkdtempSync(join(tmpdir(), "palyra-state-file-"));
    const notADirectory = join(parent, "state");
    writeFileSync(notADirectory, "");
    const result = await runPalyra(["daemon", "--state-dir", notADirectory, ...loopbackBinds], { cwd: parent, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`the state directory ${notADirectory} is not a directory`);
  });
});
