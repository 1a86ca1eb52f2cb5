import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import OpenAI from "openai";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Role } from "../../gen/es/palyra/gateway/v1/common_pb.js";
import { CircuitState, ModelsService } from "../../gen/es/palyra/gateway/v1/models_pb.js";
import { type FakeOpenAI, startFakeOpenAI } from "../fixtures/fake-openai-upstream.js";
import { ManualClock } from "../helpers/manual-clock.js";
import { startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";
import { cleanEnv, runPalyra } from "./support/palyra-process.js";

// One provider's breaker through its whole cycle, seen through /v1, ModelsService and the CLI.
// The breakers read a clock only the test moves: the cooldown ends when the test says, never while a
// slow step (a CLI process starting on a busy machine) is still running.

const cooldownMs = 60_000;

let flaky: FakeOpenAI;
let backup: FakeOpenAI;
let clock: ManualClock;
let gateway: TestGateway;
let client: OpenAI;
let models: ReturnType<typeof createClient<typeof ModelsService>>;
const auth = { headers: { authorization: `Bearer ${testToken}` } };
const failure = { kind: "status", status: 500 } as const;

// A fresh daemon and fresh upstreams per test, so no test starts from the circuit another left behind.
beforeEach(async () => {
  [flaky, backup] = await Promise.all([startFakeOpenAI(), startFakeOpenAI()]);
  clock = new ManualClock();
  gateway = await startTestGateway({
    circuitClock: clock.now,
    configToml: `
version = 1
[model_provider]
# No background health checks (the first would come a minute after start): they would take faults
# queued for the tests' own requests, and add to what the fake upstreams recorded.
health_ttl_ms = 3600000
default_chat_model_id = "flaky-model"

[[model_provider.providers]]
provider_id = "flaky"
kind = "openai_compatible"
base_url = "${flaky.baseUrl}"
allow_private_base_url = true
max_retries = 0
circuit_breaker_failure_threshold = 2
circuit_breaker_cooldown_ms = ${cooldownMs}

[[model_provider.providers]]
provider_id = "backup"
kind = "openai_compatible"
base_url = "${backup.baseUrl}"
allow_private_base_url = true

[[model_provider.models]]
model_id = "flaky-model"
provider_id = "flaky"

[[model_provider.models]]
model_id = "backup-model"
provider_id = "backup"
`,
  });
  client = new OpenAI({ apiKey: testToken, baseURL: `${gateway.httpBase}/v1`, maxRetries: 0 });
  models = createClient(ModelsService, createGrpcTransport({ baseUrl: gateway.grpcBase }));
});

afterEach(async () => {
  await gateway?.stop();
  await Promise.all([flaky?.close(), backup?.close()]);
});

const ask = (headers: Record<string, string> = {}) =>
  client.chat.completions.create({ model: "flaky-model", messages: [{ role: "user", content: "hello" }] }, { headers }).withResponse();

async function flakyCircuit() {
  const status = await models.getModelsStatus({}, auth);
  return status.providers.find((provider) => provider.providerId === "flaky")?.circuit;
}

async function openTheCircuit() {
  flaky.enqueue(failure, failure);
  for (let i = 0; i < 2; i++) {
    const { response } = await ask();
    expect(response.headers.get("x-palyra-model")).toBe("backup-model");
  }
  expect(await flakyCircuit()).toMatchObject({ state: CircuitState.OPEN, consecutiveFailures: 2, retryAfterMs: cooldownMs });
}

/** Moves the clock to the last millisecond of the cooldown (still open), then past it (half-open). */
async function waitOutTheCooldown() {
  clock.advance(cooldownMs - 1);
  expect(await flakyCircuit()).toMatchObject({ state: CircuitState.OPEN, retryAfterMs: 1 });
  clock.advance(1);
  expect(await flakyCircuit()).toMatchObject({ state: CircuitState.HALF_OPEN, retryAfterMs: 0 });
}

describe("circuit breaker", () => {
  it("opens after the threshold, skips the provider while open, half-opens after the cooldown and closes on a good probe", async () => {
    await openTheCircuit();
    const seen = flaky.requests.length;

    // Open: failover goes straight to the backup without touching the failing upstream...
    const { response } = await ask();
    expect(response.headers.get("x-palyra-model")).toBe("backup-model");
    expect(response.headers.get("x-palyra-attempts")).toBe("1");
    // ...and without failover the call fails fast, with a Retry-After of the whole cooldown (the clock stood still).
    const refused = await ask({ "x-palyra-failover": "off" }).catch((e) => e);
    expect(refused.status).toBe(503);
    expect(refused.code).toBe("circuit_open");
    expect(Number(refused.headers.get("retry-after"))).toBe(cooldownMs / 1000);
    expect(flaky.requests.length).toBe(seen);

    const explained = await models.explainRouting({ run: { messages: [{ role: Role.USER, parts: [{ part: { case: "text", value: "hello" } }] }] } }, auth);
    expect(explained.candidates.map((c) => [c.modelId, c.kept, c.circuit])).toEqual([
      ["flaky-model", false, CircuitState.OPEN],
      ["backup-model", true, CircuitState.CLOSED],
    ]);
    expect(explained.selectedModel).toBe("backup-model");

    // Two independent commands: started together, they cost one CLI start-up instead of two.
    const env = cleanEnv({ PALYRA_ADMIN_TOKEN: testToken });
    const [statusCli, explainCli] = await Promise.all([
      runPalyra(["models", "status", "--addr", gateway.grpcAddress], { cwd: gateway.stateDir, env }),
      runPalyra(["models", "explain", "--json", "--addr", gateway.grpcAddress, "hello"], { cwd: gateway.stateDir, env }),
    ]);
    expect(statusCli.stdout).toMatch(/flaky\s+openai_compatible\s+yes\s+\S+\s+open \(2 failures\)/);
    expect(JSON.parse(explainCli.stdout)).toMatchObject({ selectedModel: "backup-model", failoverEnabled: true });

    // After the cooldown one probe goes through; it succeeds and closes the circuit.
    await waitOutTheCooldown();
    const probe = await ask({ "x-palyra-failover": "off" });
    expect(probe.response.headers.get("x-palyra-model")).toBe("flaky-model");
    expect(flaky.requests.length).toBe(seen + 1);
    expect(await flakyCircuit()).toMatchObject({ state: CircuitState.CLOSED, consecutiveFailures: 0 });
  });

  it("reopens when the half-open probe fails, with a fresh cooldown", async () => {
    await openTheCircuit();
    await waitOutTheCooldown();
    flaky.enqueue(failure);
    const error = await ask({ "x-palyra-failover": "off" }).catch((e) => e);
    expect(error.status).toBe(503);
    expect(error.code).toBe("upstream_transient");
    expect(await flakyCircuit()).toMatchObject({ state: CircuitState.OPEN, consecutiveFailures: 3, retryAfterMs: cooldownMs });
  });
});
