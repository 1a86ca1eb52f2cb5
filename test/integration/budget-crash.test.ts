import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import Database from "better-sqlite3";
import OpenAI from "openai";
import { afterAll, describe, expect, it } from "vitest";
import { UsageService } from "../../gen/es/palyra/gateway/v1/usage_pb.js";
import { glacialBudgetConfig } from "../fixtures/glacial-config.js";
import { cleanEnv, type PalyraProcess, spawnPalyra, startDaemon } from "./support/palyra-process.js";

// A daemon killed with runs in flight: the reservations those runs held must not block the budget
// forever, and the runs must be closed out, not lost. The real daemon as a process, SIGKILLed, with a
// `palyra run` process holding the reservation; the test itself asks the daemons over gRPC and /v1,
// since every further CLI process would cost seconds of start-up on a busy machine and prove nothing here.

const loopbackBinds = ["--grpc-bind", "127.0.0.1:0", "--http-bind", "127.0.0.1:0"];
const token = "crash-test-token";
const env = cleanEnv({ PALYRA_ADMIN_TOKEN: token, PALYRA__DAEMON__LOG_LEVEL: "warn" });

// A hard limit of 1,500 tokens: one held glacial-echo run (worst case ~1,000) leaves no room for another.
const config = glacialBudgetConfig({ hardLimitTokens: 1500 });

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
  const usage = createClient(UsageService, createGrpcTransport({ baseUrl: `http://${ready.grpc}` }));
  const openai = new OpenAI({ apiKey: token, baseURL: `http://${ready.http}/v1`, maxRetries: 0 });
  const standing = async () => {
    const { policies } = await usage.listBudgetPolicies({}, { headers: { authorization: `Bearer ${token}` } });
    return policies.find((policy) => policy.policyId === "daily-tokens")?.standing;
  };
  return { daemon, grpc: ready.grpc, openai, standing };
}

describe("a daemon killed with runs in flight", () => {
  it("closes the runs out as interrupted and releases their reservations at the next start", async () => {
    const first = await start();
    const run = spawnPalyra(["run", "--json", "--model", "glacial-echo", "--addr", first.grpc, "hold this reservation"], { cwd: stateDir, env });
    running.push(run);
    const accepted = await run.stdout.waitFor((line) => line.includes('"accepted"'), "the accepted event");
    const runId = (JSON.parse(accepted) as { runId: string }).runId;
    // Admitted: its worst case (the prompt plus 1,000 output tokens) is reserved, so a second such run would not fit.
    const held = await first.standing();
    expect(held?.reserved).toBeGreaterThan(1000);
    const refused = await first.openai.chat.completions
      .create({ model: "glacial-echo", messages: [{ role: "user", content: "one more" }] })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.APIError);
    expect((refused as InstanceType<typeof OpenAI.APIError>).code).toBe("budget_exceeded");
    expect((refused as Error).message).toMatch(/budget "daily-tokens" \(tokens, daily\) allows \d+ tokens more/);

    first.daemon.child.kill("SIGKILL");
    await first.daemon.exited;
    await run.exited;

    const second = await start();
    expect(await second.standing()).toMatchObject({ consumed: 0, reserved: 0 });
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
    const again = await second.openai.chat.completions.create({
      model: "palyra-echo",
      max_tokens: 50,
      messages: [{ role: "user", content: "the budget is back" }],
    });
    expect(again.choices[0]?.message.content).toBe("the budget is back");
    const after = await second.standing();
    expect(after?.reserved).toBe(0);
    expect(after?.consumed).toBeGreaterThan(0);
  });
});
