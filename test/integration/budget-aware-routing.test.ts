import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import Database from "better-sqlite3";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Role } from "../../gen/es/palyra/gateway/v1/common_pb.js";
import { ModelsService } from "../../gen/es/palyra/gateway/v1/models_pb.js";
import { UsageService } from "../../gen/es/palyra/gateway/v1/usage_pb.js";
import { countPromptTokens } from "../../src/shared/tokens.js";
import { type FakeOpenAI, startFakeOpenAI } from "../fixtures/fake-openai-upstream.js";
import { startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";
import { cleanEnv, runPalyra } from "./support/palyra-process.js";

// Where routing meets budgets, through the real daemon: failover only to models a run's budgets can
// afford, ExplainRouting's budget outcome (gRPC and the CLI), and smart routing preferring a model
// within budget. "thrifty" sits on a fake upstream told to fail on demand, "premium" on a healthy
// one, a thousand times dearer; failover goes from thrifty to premium.

let flaky: FakeOpenAI;
let solid: FakeOpenAI;
let gateway: TestGateway;
let usage: Client<typeof UsageService>;
let models: Client<typeof ModelsService>;
const auth = { headers: { authorization: `Bearer ${testToken}` } };

const thriftyPrices = { input: 1, output: 2 };
const premiumPrices = { input: 1000, output: 2000 };
const capable = "tool_calls = true\njson_mode = true\nvision = true";

// The failover burst: a short prompt with a small max_tokens, so a run's worst case on premium is only
// about twice what it actually costs there: without failover-aware reservations, twenty concurrent runs
// failing over would spend several times the limit.
const burstPrompt = "please fail over to the premium model";
const burstMaxTokens = 16;
const burstPromptTokens = await countPromptTokens([{ role: "user", parts: [{ type: "text", text: burstPrompt }] }]);
const premiumWorstCase = (burstPromptTokens * premiumPrices.input + burstMaxTokens * premiumPrices.output) / 1e6;
const burstLimit = 3.5 * premiumWorstCase;
const burstSize = 20;

beforeAll(async () => {
  [flaky, solid] = await Promise.all([startFakeOpenAI(), startFakeOpenAI()]);
  gateway = await startTestGateway({
    configToml: `
version = 1
[model_provider]
# No background health checks (the first would come a minute after start): they would take faults
# queued for the tests' own requests, and add to what the fake upstreams recorded.
health_ttl_ms = 3600000
default_chat_model_id = "thrifty"
max_retries = 0
response_cache_enabled = false
circuit_breaker_failure_threshold = 1000

[[model_provider.providers]]
provider_id = "flaky"
kind = "openai_compatible"
base_url = "${flaky.baseUrl}"
allow_private_base_url = true

[[model_provider.providers]]
provider_id = "solid"
kind = "openai_compatible"
base_url = "${solid.baseUrl}"
allow_private_base_url = true

[[model_provider.models]]
model_id = "thrifty"
provider_id = "flaky"
upstream_model = "gpt-4o-mini"
cost_tier = 0
${capable}

[[model_provider.models]]
model_id = "premium"
provider_id = "solid"
upstream_model = "gpt-4o"
cost_tier = 5
${capable}

[[usage.pricing]]
model_id = "thrifty"
input_per_mtok = ${thriftyPrices.input}
output_per_mtok = ${thriftyPrices.output}

[[usage.pricing]]
model_id = "premium"
input_per_mtok = ${premiumPrices.input}
output_per_mtok = ${premiumPrices.output}

[usage.smart_routing]
enabled = true
mode = "suggest"

[[usage.budgets]]
policy_id = "failover-burst"
scope_kind = "agent"
scope_id = "burst-agent"
metric_kind = "usd_cost"
interval_kind = "daily"
hard_limit_value = ${burstLimit}

[[usage.budgets]]
policy_id = "frugal-usd"
scope_kind = "agent"
scope_id = "frugal-agent"
metric_kind = "usd_cost"
interval_kind = "monthly"
hard_limit_value = 1

[[usage.budgets]]
policy_id = "broke-tokens"
scope_kind = "agent"
scope_id = "broke-agent"
metric_kind = "tokens"
interval_kind = "daily"
hard_limit_value = 1
`,
  });
  const transport = createGrpcTransport({ baseUrl: gateway.grpcBase });
  usage = createClient(UsageService, transport);
  models = createClient(ModelsService, transport);
});

afterAll(async () => {
  await gateway?.stop();
  await Promise.all([flaky?.close(), solid?.close()]);
});

const openai = (agentId: string) =>
  new OpenAI({ apiKey: testToken, baseURL: `${gateway.httpBase}/v1`, maxRetries: 0, defaultHeaders: { "x-palyra-agent-id": agentId } });

async function standingOf(policyId: string) {
  const { policies } = await usage.listBudgetPolicies({}, auth);
  const standing = policies.find((candidate) => candidate.policyId === policyId)?.standing;
  if (standing === undefined) throw new Error(`no standing for ${policyId}`);
  return standing;
}

function ledgerOf(agentId: string) {
  const db = new Database(gateway.databaseFile, { readonly: true });
  try {
    return db.prepare("SELECT status, model_id, cost_usd, error_kind FROM runs WHERE agent_id = ?").all(agentId) as {
      status: string;
      model_id: string;
      cost_usd: number;
      error_kind: string | null;
    }[];
  } finally {
    db.close();
  }
}

const explainRun = (agentId: string, text: string, model = "") => ({
  run: { model, agentId, messages: [{ role: Role.USER, parts: [{ part: { case: "text" as const, value: text } }] }] },
});

describe("failover within budgets", () => {
  it("never fails over past a hard limit: 20 concurrent runs whose cheap model fails stay within the budget", async () => {
    flaky.enqueue(...Array.from({ length: burstSize }, () => ({ kind: "status" as const, status: 500 })));
    const client = openai("burst-agent");
    const outcomes = await Promise.allSettled(
      Array.from({ length: burstSize }, () =>
        client.chat.completions.create({ model: "thrifty", max_tokens: burstMaxTokens, messages: [{ role: "user", content: burstPrompt }] }).withResponse(),
      ),
    );
    // The invariant first: whatever failed over, the budget held.
    const standing = await standingOf("failover-burst");
    expect(standing.consumed).toBeLessThanOrEqual(burstLimit);
    expect(standing.reserved).toBe(0);

    const served = outcomes.flatMap((outcome) => (outcome.status === "fulfilled" ? [outcome.value.response.headers.get("x-palyra-model")] : []));
    const failures = outcomes.flatMap((outcome) => (outcome.status === "rejected" ? [outcome.reason as InstanceType<typeof OpenAI.APIError>] : []));
    // Every answer came from premium, after thrifty failed; at least as many as the limit holds at their worst case.
    expect(served.every((model) => model === "premium")).toBe(true);
    expect(served.length).toBeGreaterThanOrEqual(3);
    // The rest were admitted on thrifty alone, since premium's worst case no longer fit: they failed with thrifty's error.
    expect(failures.length).toBe(burstSize - served.length);
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(OpenAI.APIError);
      expect(failure.code).not.toBe("budget_exceeded");
    }

    const ledger = ledgerOf("burst-agent");
    expect(ledger).toHaveLength(burstSize);
    expect(ledger.filter((run) => run.status === "succeeded").every((run) => run.model_id === "premium" && run.cost_usd > 0)).toBe(true);
    expect(ledger.filter((run) => run.status === "failed").every((run) => run.model_id === "thrifty" && run.cost_usd === 0)).toBe(true);
    expect(ledger.reduce((total, run) => total + run.cost_usd, 0)).toBeCloseTo(standing.consumed, 12);
  });
});

describe("ExplainRouting's budget outcome", () => {
  it("says a request is admitted, and drops the failover candidates its budgets cannot afford", async () => {
    const explained = await models.explainRouting(explainRun("frugal-agent", "Hello there", "thrifty"), auth);
    expect(explained.budgetOutcome).toBe("admitted");
    const premium = explained.candidates.find((candidate) => candidate.modelId === "premium");
    expect(premium).toMatchObject({ kept: false, order: 0 });
    expect(premium?.reason).toMatch(/budgets cannot afford/);
    expect(explained.candidates.find((candidate) => candidate.modelId === "thrifty")).toMatchObject({ kept: true, order: 1 });

    // Without a budget, premium stays a failover candidate.
    const free = await models.explainRouting(explainRun("unbudgeted-agent", "Hello there", "thrifty"), auth);
    expect(free.candidates.find((candidate) => candidate.modelId === "premium")).toMatchObject({ kept: true, order: 2 });
  });

  it("names the policy that would refuse a request, over gRPC and with palyra models explain", async () => {
    const explained = await models.explainRouting(explainRun("broke-agent", "Hello there"), auth);
    expect(explained.budgetOutcome).toMatch(/^budget_exceeded: budget "broke-tokens" \(tokens, daily\) allows 1 tokens more; this request could use up to /);
    // Explaining reserves nothing.
    expect((await standingOf("broke-tokens")).reserved).toBe(0);

    const cli = await runPalyra(["models", "explain", "--agent-id", "broke-agent", "--max-tokens", "5", "Hello", "there", "--addr", gateway.grpcAddress], {
      cwd: gateway.stateDir,
      env: cleanEnv({ PALYRA_ADMIN_TOKEN: testToken }),
    });
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/budgets: budget_exceeded: budget "broke-tokens" \(tokens, daily\) allows 1 tokens more/);
    expect(cli.stdout).toMatch(/smart routing: suggest/);
  });
});

describe("smart routing within budget", () => {
  const demanding =
    "Analyze the three incident reports and the attached graph, compare their root causes step by step, and explain why the second outage lasted longer. " +
    "Which fix is cheapest? Which is safest? What should we monitor?";
  const tools: OpenAI.ChatCompletionTool[] = ["search_logs", "query_metrics", "open_ticket"].map((name) => ({
    type: "function",
    function: { name, parameters: { type: "object", properties: {} } },
  }));
  const ask = (agentId: string) =>
    openai(agentId)
      .chat.completions.create(
        {
          model: "auto",
          messages: [
            {
              role: "user",
              content: [
                { type: "text", text: demanding },
                { type: "image_url", image_url: { url: "https://images.test/graph.png" } },
              ],
            },
          ],
          tools,
          response_format: { type: "json_schema", json_schema: { name: "findings", schema: { type: "object" } } },
        },
        { headers: { "x-palyra-routing-mode": "enforced" } },
      )
      .withResponse();

  it("recommends the strongest model for a demanding request, unless the caller's budget cannot afford it", async () => {
    const rich = await ask("unbudgeted-agent");
    expect(rich.response.headers.get("x-palyra-recommended-model")).toBe("premium");
    expect(rich.response.headers.get("x-palyra-model")).toBe("premium");
    expect(Number(rich.response.headers.get("x-palyra-complexity"))).toBeGreaterThanOrEqual(0.7);

    // Premium's worst case (4,096 output tokens at $2,000 per million) passes frugal-agent's $1; thrifty's does not.
    const frugal = await ask("frugal-agent");
    expect(frugal.response.headers.get("x-palyra-recommended-model")).toBe("thrifty");
    expect(frugal.response.headers.get("x-palyra-model")).toBe("thrifty");
    expect((await standingOf("frugal-usd")).consumed).toBeLessThanOrEqual(1);
  });
});
