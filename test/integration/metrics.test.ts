import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import Database from "better-sqlite3";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Role } from "../../gen/es/palyra/gateway/v1/common_pb.js";
import { GatewayService } from "../../gen/es/palyra/gateway/v1/gateway_pb.js";
import { ModelsService } from "../../gen/es/palyra/gateway/v1/models_pb.js";
import { type FakeOpenAI, startFakeOpenAI } from "../fixtures/fake-openai-upstream.js";
import { type PromSample, parsePrometheusText, sumOf } from "../helpers/prometheus-text.js";
import { startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";

// GET /metrics after real traffic through the daemon: the series must agree with the runs the ledger recorded.

let alpha: FakeOpenAI;
let beta: FakeOpenAI;
let gateway: TestGateway;
let client: OpenAI;

const capable = "tool_calls = true\njson_mode = true\nvision = true";

beforeAll(async () => {
  [alpha, beta] = await Promise.all([startFakeOpenAI(), startFakeOpenAI()]);
  gateway = await startTestGateway({
    configToml: `
version = 1
[model_provider]
health_ttl_ms = 3600000
default_chat_model_id = "alpha-large"
retry_backoff_ms = 1
# One retry on the same model, then failover.
max_retries = 1
response_cache_enabled = true
response_cache_ttl_ms = 3600000
circuit_breaker_failure_threshold = 100

[[model_provider.providers]]
provider_id = "alpha"
kind = "openai_compatible"
base_url = "${alpha.baseUrl}"
allow_private_base_url = true

[[model_provider.providers]]
provider_id = "beta"
kind = "openai_compatible"
base_url = "${beta.baseUrl}"
allow_private_base_url = true

[[model_provider.models]]
model_id = "alpha-large"
provider_id = "alpha"
cost_tier = 5
${capable}

[[model_provider.models]]
model_id = "beta-large"
provider_id = "beta"
cost_tier = 5
${capable}

[[usage.pricing]]
model_id = "alpha-large"
input_per_mtok = 2
output_per_mtok = 8

[[usage.pricing]]
model_id = "beta-large"
input_per_mtok = 1
output_per_mtok = 4

[[usage.budgets]]
policy_id = "capped-tokens"
scope_kind = "agent"
scope_id = "capped"
metric_kind = "tokens"
interval_kind = "daily"
hard_limit_value = 1

[metrics]
top_agents = 2
`,
  });
  client = new OpenAI({ apiKey: testToken, baseURL: `${gateway.httpBase}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await gateway?.stop();
  await Promise.all([alpha?.close(), beta?.close()]);
});

const ask = (agent: string, content: string, extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {}) =>
  client.chat.completions
    .create({ model: "alpha-large", messages: [{ role: "user", content }], ...extra }, { headers: { "x-palyra-agent-id": agent } })
    .withResponse();

async function scrape(base: string, token?: string): Promise<Response> {
  return fetch(`${base}/metrics`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
}

interface LedgerRow {
  model_id: string;
  provider_id: string;
  status: string;
  agent_id: string | null;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
}

function ledger(): LedgerRow[] {
  const db = new Database(gateway.databaseFile, { readonly: true });
  try {
    return db.prepare("SELECT model_id, provider_id, status, agent_id, input_tokens, output_tokens, cost_usd FROM runs").all() as LedgerRow[];
  } finally {
    db.close();
  }
}

describe("GET /metrics", () => {
  let samples: PromSample[];

  beforeAll(async () => {
    // Two agents get their own label (top_agents = 2, first seen); the next two fold into "other".
    await ask("agent-a", "first");
    const stream = await client.chat.completions.create(
      { model: "alpha-large", messages: [{ role: "user", content: "a stream" }], stream: true },
      { headers: { "x-palyra-agent-id": "agent-b" } },
    );
    for await (const _chunk of stream) {
      // drained
    }
    await ask("agent-c", "third");
    await ask("agent-d", "fourth");
    // A 503 is retried once on alpha, the second fails over to beta.
    alpha.enqueue({ kind: "status", status: 503 }, { kind: "status", status: 503 });
    const failedOver = await ask("agent-a", "fail over");
    expect(failedOver.response.headers.get("x-palyra-model")).toBe("beta-large");
    // A miss, then a hit.
    expect((await ask("agent-a", "cache me", { temperature: 0 })).response.headers.get("x-palyra-cache")).toBe("miss");
    expect((await ask("agent-a", "cache me", { temperature: 0 })).response.headers.get("x-palyra-cache")).toBe("hit");
    // Refused by the capped agent's budget.
    await expect(ask("capped", "too much")).rejects.toMatchObject({ status: 429 });
    // Over gRPC: a unary call with and without the token, and a RunStream run (no agent).
    const transport = createGrpcTransport({ baseUrl: gateway.grpcBase });
    const auth = { headers: { authorization: `Bearer ${testToken}` } };
    await createClient(ModelsService, transport).listModels({}, auth);
    await expect(createClient(ModelsService, transport).listModels({})).rejects.toMatchObject({ code: Code.Unauthenticated });
    const start = { model: "alpha-large", messages: [{ role: Role.USER, parts: [{ part: { case: "text" as const, value: "over grpc" } }] }] };
    for await (const _event of createClient(GatewayService, transport).runStream(
      (async function* () {
        yield { action: { case: "start" as const, value: start } };
      })(),
      auth,
    )) {
      // drained to its end
    }

    const response = await scrape(gateway.httpBase, testToken);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    samples = parsePrometheusText(await response.text());
  });

  it("counts runs, tokens and cost as the ledger recorded them, agents beyond top_agents folded into other", () => {
    const rows = ledger();
    expect(rows).toHaveLength(8);
    for (const key of new Set(rows.map((row) => `${row.model_id}|${row.provider_id}|${row.status}`))) {
      const [model = "", provider = "", status = ""] = key.split("|");
      const recorded = rows.filter((row) => row.model_id === model && row.provider_id === provider && row.status === status).length;
      expect(sumOf(samples, "palyra_runs_total", { model, provider, status })).toBe(recorded);
    }
    expect(sumOf(samples, "palyra_runs_total")).toBe(rows.length);
    expect(sumOf(samples, "palyra_run_duration_seconds_count")).toBe(rows.length);
    expect(sumOf(samples, "palyra_run_time_to_first_token_seconds_count")).toBe(rows.length);

    const labelOf = (agent: string | null) => (agent === null ? "" : agent === "agent-a" || agent === "agent-b" ? agent : "other");
    for (const label of ["agent-a", "agent-b", "other", ""]) {
      const mine = rows.filter((row) => labelOf(row.agent_id) === label);
      expect(mine.length).toBeGreaterThan(0);
      expect(sumOf(samples, "palyra_tokens_total", { agent: label, type: "input" })).toBe(mine.reduce((sum, row) => sum + row.input_tokens, 0));
      expect(sumOf(samples, "palyra_tokens_total", { agent: label, type: "output" })).toBe(mine.reduce((sum, row) => sum + row.output_tokens, 0));
      expect(sumOf(samples, "palyra_cost_usd_total", { agent: label })).toBeCloseTo(
        mine.reduce((sum, row) => sum + row.cost_usd, 0),
        12,
      );
    }
    expect(samples.some((sample) => ["agent-c", "agent-d"].includes(sample.labels.agent ?? ""))).toBe(false);
    expect(sumOf(samples, "palyra_cost_usd_total")).toBeGreaterThan(0);
  });

  it("counts retries, failovers, cache lookups and budget refusals", () => {
    expect(sumOf(samples, "palyra_retries_total", { model: "alpha-large", provider: "alpha" })).toBe(1);
    expect(sumOf(samples, "palyra_failovers_total", { model: "alpha-large", provider: "alpha" })).toBe(1);
    expect(sumOf(samples, "palyra_response_cache_hits_total", { model: "alpha-large" })).toBe(1);
    expect(sumOf(samples, "palyra_response_cache_misses_total", { model: "alpha-large" })).toBe(1);
    expect(sumOf(samples, "palyra_budget_refusals_total", { policy: "capped-tokens", outcome: "blocked" })).toBe(1);
  });

  it("counts HTTP requests by route pattern and status, and RPC calls by procedure and code", () => {
    expect(sumOf(samples, "palyra_http_requests_total", { method: "POST", route: "/v1/chat/completions", status: "200" })).toBe(7);
    expect(sumOf(samples, "palyra_http_requests_total", { method: "POST", route: "/v1/chat/completions", status: "429" })).toBe(1);
    expect(samples.filter((sample) => sample.name === "palyra_http_requests_total").every((sample) => !sample.labels.route?.includes("?"))).toBe(true);
    const procedure = (name: string) => `palyra.gateway.v1.${name}`;
    expect(sumOf(samples, "palyra_rpc_requests_total", { procedure: procedure("ModelsService/ListModels"), code: "ok" })).toBe(1);
    expect(sumOf(samples, "palyra_rpc_requests_total", { procedure: procedure("ModelsService/ListModels"), code: "unauthenticated" })).toBe(1);
    expect(sumOf(samples, "palyra_rpc_requests_total", { procedure: procedure("GatewayService/RunStream"), code: "ok" })).toBe(1);
    // /v1's in-process calls are HTTP requests, not RPC calls: the three above are all.
    expect(sumOf(samples, "palyra_rpc_requests_total")).toBe(3);
  });

  it("reads circuit states and open incidents at scrape time, with the default process metrics", () => {
    expect(sumOf(samples, "palyra_circuit_state", { provider: "alpha" })).toBe(0);
    expect(samples.some((sample) => sample.name === "palyra_circuit_state" && sample.labels.provider === "beta")).toBe(true);
    expect(samples.find((sample) => sample.name === "palyra_open_incidents")?.value).toBe(0);
    expect(samples.some((sample) => sample.name === "process_cpu_seconds_total")).toBe(true);
    expect(samples.some((sample) => sample.name === "nodejs_eventloop_lag_seconds")).toBe(true);
  });

  it("never puts the admin token or an upstream URL in a label", async () => {
    const text = await (await scrape(gateway.httpBase, testToken)).text();
    expect(text).not.toContain(testToken);
    expect(text).not.toContain(alpha.baseUrl);
  });

  it("needs the admin token unless [metrics] public = true", async () => {
    expect((await scrape(gateway.httpBase)).status).toBe(401);
    expect((await scrape(gateway.httpBase, "not-the-token")).status).toBe(401);
    const open = await startTestGateway({ configToml: "version = 1\n[metrics]\npublic = true\n" });
    try {
      const first = await scrape(open.httpBase);
      expect(first.status).toBe(200);
      await first.text();
      // The second scrape counts the first (a request is counted once its response is done).
      const second = parsePrometheusText(await (await scrape(open.httpBase)).text());
      expect(sumOf(second, "palyra_http_requests_total", { method: "GET", route: "/metrics", status: "200" })).toBe(1);
    } finally {
      await open.stop();
    }
  });
});
