import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import Database from "better-sqlite3";
import OpenAI from "openai";
import { afterAll, describe, expect, it } from "vitest";
import { UsageService } from "../../gen/es/palyra/gateway/v1/usage_pb.js";
import { cleanEnv, type PalyraProcess, startDaemon } from "./support/palyra-process.js";

// A daemon killed while a run streams: the upstream already produced (and billed) output, so the run
// is charged its last heartbeat's checkpoint at the next start, marked estimated, in the ledger and
// in its budgets, instead of nothing. The real daemon as a process, SIGKILLed.

const token = "interrupted-charge-token";
const env = cleanEnv({ PALYRA_ADMIN_TOKEN: token, PALYRA__DAEMON__LOG_LEVEL: "warn" });
const loopbackBinds = ["--grpc-bind", "127.0.0.1:0", "--http-bind", "127.0.0.1:0"];

// "halting-echo" sends a chunk every 5 s: after its first chunk the run stays in flight long enough
// for the test to see its heartbeat and kill the daemon. stall_after_ms 1000 makes runs beat every 250 ms.
const config = `
version = 1

[model_provider]
default_chat_model_id = "halting-echo"

[[model_provider.providers]]
provider_id = "halting"
kind = "deterministic"
stream_chunk_delay_ms = 5000

[[model_provider.models]]
model_id = "halting-echo"
provider_id = "halting"

[[usage.pricing]]
model_id = "halting-echo"
input_per_mtok = 1000000
output_per_mtok = 2000000

[[usage.budgets]]
policy_id = "daily-tokens"
scope_kind = "global"
metric_kind = "tokens"
interval_kind = "daily"
hard_limit_value = 1000000

[[usage.budgets]]
policy_id = "daily-usd"
scope_kind = "global"
metric_kind = "usd_cost"
interval_kind = "daily"
hard_limit_value = 1000000

[automation.self_healing]
mode = "disabled"
stall_after_ms = 1000
`;

const stateDir = mkdtempSync(join(tmpdir(), "palyra-interrupted-"));
const configFile = join(stateDir, "interrupted.toml");
writeFileSync(configFile, config);
const databaseFile = join(stateDir, "palyra.sqlite");
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
  const usage = createClient(UsageService, createGrpcTransport({ baseUrl: `http://${ready.grpc}` }));
  const standings = async () => {
    const { policies } = await usage.listBudgetPolicies({}, { headers: { authorization: `Bearer ${token}` } });
    return Object.fromEntries(policies.map((policy) => [policy.policyId, policy.standing]));
  };
  return { daemon, openai: new OpenAI({ apiKey: token, baseURL: `http://${ready.http}/v1`, maxRetries: 0 }), standings };
}

function readRun(runId?: string) {
  const db = new Database(databaseFile, { readonly: true });
  try {
    const sql = "SELECT run_id, status, error_kind, heartbeat_at, input_tokens, output_tokens, usage_estimated, cost_usd, cost_estimated FROM runs";
    return (runId === undefined ? db.prepare(`${sql} ORDER BY created_at DESC LIMIT 1`).get() : db.prepare(`${sql} WHERE run_id = ?`).get(runId)) as
      | Record<string, number | string | null>
      | undefined;
  } finally {
    db.close();
  }
}

async function waitFor<T>(what: string, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("a run killed mid-stream with the daemon", () => {
  it("is charged its last heartbeat, marked estimated, in the ledger and its budgets", async () => {
    const first = await start();
    const prompt = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen";
    const stream = await first.openai.chat.completions.create({ model: "halting-echo", stream: true, messages: [{ role: "user", content: prompt }] });
    const chunks = stream[Symbol.asyncIterator]();
    // Read until the first text arrives: the upstream has produced output, and the run beats.
    for (let next = await chunks.next(); !next.done && !next.value.choices[0]?.delta.content; next = await chunks.next()) {}
    const beating = await waitFor("the run's heartbeat", () => {
      const row = readRun();
      return row?.heartbeat_at !== null && row?.heartbeat_at !== undefined ? row : undefined;
    });
    expect(beating).toMatchObject({ status: "running", usage_estimated: 1 });
    expect(beating.output_tokens).toBeGreaterThan(0);
    expect(beating.input_tokens).toBeGreaterThan(0);

    first.daemon.child.kill("SIGKILL");
    await first.daemon.exited;
    await chunks.return?.().catch(() => undefined);

    const second = await start();
    const closed = readRun(String(beating.run_id));
    const tokens = Number(closed?.input_tokens) + Number(closed?.output_tokens);
    expect(closed).toMatchObject({ status: "failed", error_kind: "interrupted", usage_estimated: 1, cost_estimated: 1 });
    expect(tokens).toBeGreaterThan(0);
    // $1 per input token and $2 per output token.
    expect(closed?.cost_usd).toBeCloseTo(Number(closed?.input_tokens) + 2 * Number(closed?.output_tokens), 6);
    const standings = await second.standings();
    expect(standings["daily-tokens"]).toMatchObject({ consumed: tokens, reserved: 0 });
    expect(standings["daily-usd"]?.consumed).toBeCloseTo(Number(closed?.cost_usd), 6);
    expect(standings["daily-usd"]?.reserved).toBe(0);
  });
});
