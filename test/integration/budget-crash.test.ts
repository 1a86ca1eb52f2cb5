import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { cleanEnv, type PalyraProcess, runPalyra, spawnPalyra, startDaemon } from "./support/palyra-process.js";

// A daemon killed with runs in flight: the reservations those runs held must not block the budget
// forever, and the runs must be closed out, not lost. The real daemon as a process, SIGKILLed.

const loopbackBinds = ["--grpc-bind", "127.0.0.1:0", "--http-bind", "127.0.0.1:0"];
const token = "crash-test-token";
const env = cleanEnv({ PALYRA_ADMIN_TOKEN: token, PALYRA__DAEMON__LOG_LEVEL: "warn" });

// "glacial-echo" waits a minute before each chunk (the most the config allows), so its run stays in flight
// until the daemon dies, however long the CLI commands in between take to start on a busy machine.
const config = `
version = 1
[model_provider]
default_chat_model_id = "palyra-echo"

[[model_provider.providers]]
provider_id = "local"
kind = "deterministic"

[[model_provider.providers]]
provider_id = "glacial"
kind = "deterministic"
stream_chunk_delay_ms = 60000

[[model_provider.models]]
model_id = "palyra-echo"
provider_id = "local"

[[model_provider.models]]
model_id = "glacial-echo"
provider_id = "glacial"
max_output_tokens = 1000

[[usage.budgets]]
policy_id = "daily-tokens"
scope_kind = "global"
metric_kind = "tokens"
interval_kind = "daily"
hard_limit_value = 1500
`;

const stateDir = mkdtempSync(join(tmpdir(), "palyra-crash-"));
const configFile = join(stateDir, "crash.toml");
writeFileSync(configFile, config);
const running: PalyraProcess[] = [];

afterAll(async () => {
  for (const process of running) {
    if (process.running) process.child.kill("SIGKILL");
    await process.exited;
  }
});

async function start() {
  const { daemon, ready } = await startDaemon(["--config", configFile, "--state-dir", stateDir, ...loopbackBinds], { cwd: stateDir, env });
  running.push(daemon);
  return { daemon, grpc: ready.grpc };
}

async function standing(grpc: string) {
  const listed = await runPalyra(["usage", "budgets", "list", "--json", "--addr", grpc], { cwd: stateDir, env });
  expect(listed.stderr).toBe("");
  const policies = JSON.parse(listed.stdout).policies as { policyId: string; standing: { consumed: number; reserved: number } }[];
  return policies.find((policy) => policy.policyId === "daily-tokens")?.standing;
}

describe("a daemon killed with runs in flight", () => {
  it("closes the runs out as interrupted and releases their reservations at the next start", async () => {
    const first = await start();
    const run = spawnPalyra(["run", "--json", "--model", "glacial-echo", "--addr", first.grpc, "hold this reservation"], { cwd: stateDir, env });
    running.push(run);
    const accepted = await run.stdout.waitFor((line) => line.includes('"accepted"'), "the accepted event");
    const runId = (JSON.parse(accepted) as { runId: string }).runId;
    // Admitted: its worst case (the prompt plus 1,000 output tokens) is reserved, so a second such run would not fit.
    const held = await standing(first.grpc);
    expect(held?.reserved).toBeGreaterThan(1000);
    const refused = await runPalyra(["run", "--model", "glacial-echo", "--addr", first.grpc, "one more"], { cwd: stateDir, env });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/budget "daily-tokens" \(tokens, daily\) allows \d+ tokens more/);

    first.daemon.child.kill("SIGKILL");
    await first.daemon.exited;
    await run.exited;

    const second = await start();
    expect(await standing(second.grpc)).toMatchObject({ consumed: 0, reserved: 0 });
    const db = new Database(join(stateDir, "palyra.sqlite"), { readonly: true });
    try {
      expect(db.prepare("SELECT status, error_kind, input_tokens, cost_usd FROM runs WHERE run_id = ?").get(runId)).toEqual({
        status: "failed",
        error_kind: "interrupted",
        input_tokens: 0,
        cost_usd: 0,
      });
    } finally {
      db.close();
    }
    // The budget is whole again: a run is admitted, and charged what it used.
    const again = await runPalyra(["run", "--json", "--model", "palyra-echo", "--max-tokens", "50", "--addr", second.grpc, "the budget is back"], { cwd: stateDir, env });
    expect(again.code, again.stderr).toBe(0);
    const after = await standing(second.grpc);
    expect(after?.reserved).toBe(0);
    expect(after?.consumed).toBeGreaterThan(0);
  });
});
