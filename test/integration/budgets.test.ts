import { timestampDate } from "@bufbuild/protobuf/wkt";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import Database from "better-sqlite3";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeysService } from "../../gen/es/palyra/gateway/v1/api_keys_pb.js";
import { ErrorDetailSchema, Role } from "../../gen/es/palyra/gateway/v1/common_pb.js";
import { GatewayService } from "../../gen/es/palyra/gateway/v1/gateway_pb.js";
import { BudgetAction, BudgetIntervalKind, BudgetMetricKind, BudgetScopeKind, UsageService } from "../../gen/es/palyra/gateway/v1/usage_pb.js";
import { countPromptTokens } from "../../src/shared/tokens.js";
import { type FakeOpenAI, startFakeOpenAI } from "../fixtures/fake-openai-upstream.js";
import { startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";
import { cleanEnv, runPalyra } from "./support/palyra-process.js";

// Budgets through the real daemon: /v1 chats with the OpenAI SDK (deterministic models and a fake
// OpenAI upstream), policies, approvals and alerts over gRPC and the palyra CLI. Each test has its
// own agent-scoped policies, so the tests share one daemon without sharing a budget.

let upstream: FakeOpenAI;
let gateway: TestGateway;
let usage: Client<typeof UsageService>;
const auth = { headers: { authorization: `Bearer ${testToken}` } };

// palyra-echo: $100 per million input tokens and $200 per million output; fake-gpt (the fake upstream,
// which reports 3 of every prompt's tokens as cached): $10 input, $1 cached, $20 output.
const echoPrices = { input: 100, output: 200 };
const fakePrices = { input: 10, cached: 1, output: 20 };
const cachedTokens = 3;

// The burst test's request: a 40-word prompt, answered (echoed) at max_tokens, so every admitted run
// costs exactly its worst case and nothing is released early to let more through.
const burstPrompt = Array.from({ length: 40 }, (_, index) => `word${index}`).join(" ");
const burstMaxTokens = 8;
const burstWorstCase =
  ((await countPromptTokens([{ role: "user", parts: [{ type: "text", text: burstPrompt }] }])) * echoPrices.input + burstMaxTokens * echoPrices.output) / 1e6;
const burstLimit = 10.5 * burstWorstCase;

// The edge test's request: a prompt whose upper bound (its bytes) is several times its token count,
// against a token budget it meets exactly at one max_tokens and passes by one token at the next.
const edgePrompt = "The quick brown fox jumps over the lazy dog while the committee reviews its budget. ".repeat(8);
const edgePromptTokens = await countPromptTokens([{ role: "user", parts: [{ type: "text", text: edgePrompt }] }]);
const edgeLimit = 400;

beforeAll(async () => {
  upstream = await startFakeOpenAI({ cachedTokens });
  gateway = await startTestGateway({
    configToml: `
version = 1
[model_provider]
# No background health checks (the first would come a minute after start): they would take faults
# queued for the tests' own requests, and add to what the fake upstreams recorded.
health_ttl_ms = 3600000
default_chat_model_id = "palyra-echo"
max_retries = 0
failover_enabled = false

[[model_provider.providers]]
provider_id = "local"
kind = "deterministic"

[[model_provider.providers]]
provider_id = "fake"
kind = "openai_compatible"
base_url = "${upstream.baseUrl}"
allow_private_base_url = true
api_key = "sk-test-budgets"

[[model_provider.models]]
model_id = "palyra-echo"
provider_id = "local"

[[model_provider.models]]
model_id = "fake-gpt"
provider_id = "fake"
upstream_model = "gpt-4o-mini"

[[usage.pricing]]
model_id = "palyra-echo"
input_per_mtok = ${echoPrices.input}
output_per_mtok = ${echoPrices.output}

[[usage.pricing]]
model_id = "fake-gpt"
input_per_mtok = ${fakePrices.input}
cached_input_per_mtok = ${fakePrices.cached}
output_per_mtok = ${fakePrices.output}

[usage]
timezone = "Europe/Berlin"

[[usage.budgets]]
policy_id = "burst"
scope_kind = "agent"
scope_id = "burst-agent"
metric_kind = "usd_cost"
interval_kind = "daily"
hard_limit_value = ${burstLimit}

[[usage.budgets]]
policy_id = "edge-tokens"
scope_kind = "agent"
scope_id = "edge-agent"
metric_kind = "tokens"
interval_kind = "daily"
hard_limit_value = ${edgeLimit}

[[usage.budgets]]
policy_id = "stream-tokens"
scope_kind = "agent"
scope_id = "stream-agent"
metric_kind = "tokens"
interval_kind = "weekly"
hard_limit_value = 1000000

[[usage.budgets]]
policy_id = "failing-tokens"
scope_kind = "agent"
scope_id = "failing-agent"
metric_kind = "tokens"
interval_kind = "monthly"
hard_limit_value = 1000000

[[usage.budgets]]
policy_id = "cached-usd"
scope_kind = "agent"
scope_id = "cache-agent"
metric_kind = "usd_cost"
interval_kind = "daily"
hard_limit_value = 1

[[usage.budgets]]
policy_id = "agent-a-cap"
scope_kind = "agent"
scope_id = "agent-a"
metric_kind = "tokens"
interval_kind = "daily"
hard_limit_value = 5

[[usage.budgets]]
policy_id = "soft-watch"
scope_kind = "agent"
scope_id = "soft-agent"
metric_kind = "tokens"
interval_kind = "daily"
soft_limit_value = 10

[[usage.budgets]]
policy_id = "cancel-tokens"
scope_kind = "agent"
scope_id = "cancel-agent"
metric_kind = "tokens"
interval_kind = "weekly"
hard_limit_value = 1000000

[[usage.budgets]]
policy_id = "session-cap"
scope_kind = "session"
scope_id = "session-capped"
metric_kind = "tokens"
interval_kind = "daily"
hard_limit_value = 5

[[usage.budgets]]
policy_id = "user-cap"
scope_kind = "user"
scope_id = "user-capped"
metric_kind = "tokens"
interval_kind = "daily"
hard_limit_value = 5

[[usage.budgets]]
policy_id = "needs-ok"
scope_kind = "agent"
scope_id = "approval-agent"
metric_kind = "tokens"
interval_kind = "daily"
hard_limit_value = 5
action = "require_approval"
`,
  });
  usage = createClient(UsageService, createGrpcTransport({ baseUrl: gateway.grpcBase }));
});

afterAll(async () => {
  await gateway?.stop();
  await upstream?.close();
});

const openai = (agentId: string, headers: Record<string, string> = {}) =>
  new OpenAI({ apiKey: testToken, baseURL: `${gateway.httpBase}/v1`, maxRetries: 0, defaultHeaders: { "x-palyra-agent-id": agentId, ...headers } });

const cli = (args: string[]) =>
  runPalyra([...args, "--addr", gateway.grpcAddress], { cwd: gateway.stateDir, env: cleanEnv({ PALYRA_ADMIN_TOKEN: testToken }) });

async function standingOf(policyId: string) {
  const { policies } = await usage.listBudgetPolicies({}, auth);
  const policy = policies.find((candidate) => candidate.policyId === policyId);
  if (policy?.standing === undefined) throw new Error(`no standing for ${policyId}`);
  return policy.standing;
}

function queryRuns(sql: string, ...params: unknown[]): Record<string, unknown>[] {
  const db = new Database(gateway.databaseFile, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

async function apiError(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof OpenAI.APIError)) throw new Error(`expected an API error, got ${String(error)}`);
  return error;
}

describe("budgets through the daemon", () => {
  it("never overspends a hard limit under 100 concurrent requests, half of them streamed; the rest get 429 budget_exceeded naming the policy", async () => {
    const client = openai("burst-agent");
    const request = { model: "palyra-echo", max_tokens: burstMaxTokens, messages: [{ role: "user" as const, content: burstPrompt }] };
    const streamed = async () => {
      let text = "";
      for await (const chunk of await client.chat.completions.create({ ...request, stream: true })) text += chunk.choices[0]?.delta.content ?? "";
      return text;
    };
    const outcomes = await Promise.allSettled(
      Array.from({ length: 100 }, (_, index) => (index % 2 === 0 ? streamed() : client.chat.completions.create(request))),
    );
    const succeeded = outcomes.filter((outcome) => outcome.status === "fulfilled");
    const refused = outcomes.flatMap((outcome) => (outcome.status === "rejected" ? [outcome.reason as unknown] : []));
    expect(succeeded.length * burstWorstCase).toBeLessThanOrEqual(burstLimit);
    // Every admitted run costs its worst case, so exactly as many fit as the limit holds.
    expect(succeeded).toHaveLength(10);
    expect(refused).toHaveLength(90);
    for (const error of refused) {
      expect(error).toBeInstanceOf(OpenAI.APIError);
      const apiFailure = error as InstanceType<typeof OpenAI.APIError>;
      expect(apiFailure.status).toBe(429);
      expect(apiFailure.code).toBe("budget_exceeded");
      expect(apiFailure.message).toContain('budget "burst" (usd_cost, daily) allows $0.');
      expect(apiFailure.message).toContain(`this request could cost up to $${burstWorstCase.toFixed(4)}`);
      expect(Number(apiFailure.headers?.get("retry-after"))).toBeGreaterThan(0);
    }

    const standing = await standingOf("burst");
    expect(standing.consumed).toBeLessThanOrEqual(burstLimit);
    expect(standing.consumed).toBeCloseTo(10 * burstWorstCase, 12);
    expect(standing.reserved).toBe(0);
    const [ledger] = queryRuns("select count(*) as runs, sum(cost_usd) as cost from runs where agent_id = ?", "burst-agent");
    expect(ledger).toMatchObject({ runs: 10 });
    expect(Number(ledger?.cost)).toBeCloseTo(standing.consumed, 12);
  });

  it("charges a streamed run from the final usage the upstream reported", async () => {
    const stream = await openai("stream-agent").chat.completions.create({
      model: "fake-gpt",
      messages: [{ role: "user", content: "alpha beta gamma delta" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let reported: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) reported = chunk.usage ?? reported;
    expect(reported?.total_tokens).toBeGreaterThan(0);
    // The fake reports 10 framing tokens + 4 words in, "echo: alpha beta gamma delta" (5 words) out.
    expect(reported).toMatchObject({ prompt_tokens: 14, completion_tokens: 5 });
    expect(await standingOf("stream-tokens")).toMatchObject({ consumed: 19, reserved: 0 });
  });

  it("charges a failed run only what the upstream reported: a reset mid-answer costs nothing", async () => {
    upstream.enqueue({ kind: "reset_after_first_chunk" });
    const error = await apiError(
      openai("failing-agent").chat.completions.create({ model: "fake-gpt", messages: [{ role: "user", content: "this one dies" }] }),
    );
    expect(error.status).toBeGreaterThanOrEqual(500);
    expect(await standingOf("failing-tokens")).toMatchObject({ consumed: 0, reserved: 0 });
    const [run] = queryRuns("select status, cost_usd, input_tokens from runs where agent_id = ?", "failing-agent");
    expect(run).toMatchObject({ status: "failed", cost_usd: 0, input_tokens: 0 });
  });

  it("charges a cancelled stream only what the upstream reported, releases its reservation and records it", async () => {
    upstream.enqueue({ kind: "slow_stream", chunkDelayMs: 50 });
    const rpc = createClient(GatewayService, createGrpcTransport({ baseUrl: gateway.grpcBase }));
    let sawDelta!: () => void;
    const firstDelta = new Promise<void>((resolve) => (sawDelta = resolve));
    async function* requests() {
      yield {
        action: {
          case: "start" as const,
          value: {
            model: "fake-gpt",
            agentId: "cancel-agent",
            messages: [{ role: Role.USER, parts: [{ part: { case: "text" as const, value: "a long answer please, word by word" } }] }],
          },
        },
      };
      await firstDelta;
      yield { action: { case: "cancel" as const, value: { reason: "the user pressed stop" } } };
    }
    let runId = "";
    let ending = "";
    for await (const event of rpc.runStream(requests(), auth)) {
      if (event.event.case === "accepted") runId = event.runId;
      if (event.event.case === "delta") sawDelta();
      if (event.event.case === "completed" || event.event.case === "failed" || event.event.case === "cancelled") ending = event.event.case;
    }
    // The terminal event goes out after the run's end and its charge are recorded.
    expect(ending).toBe("cancelled");
    // The fake reports usage only at the end of a stream, so the upstream reported nothing to charge.
    expect(await standingOf("cancel-tokens")).toMatchObject({ consumed: 0, reserved: 0 });
    expect(queryRuns("select status, cost_usd, error_message from runs where run_id = ?", runId)).toEqual([
      { status: "cancelled", cost_usd: 0, error_message: "the user pressed stop" },
    ]);
  });

  it("prices cached tokens at their own rate in USD budgets", async () => {
    const { data, response } = await openai("cache-agent")
      .chat.completions.create({ model: "fake-gpt", messages: [{ role: "user", content: "one two three four five" }] })
      .withResponse();
    expect(data.usage).toMatchObject({ prompt_tokens: 15, completion_tokens: 6, prompt_tokens_details: { cached_tokens: cachedTokens } });
    const expected = ((15 - cachedTokens) * fakePrices.input + cachedTokens * fakePrices.cached + 6 * fakePrices.output) / 1e6;
    expect(Number(response.headers.get("x-palyra-cost-usd"))).toBeCloseTo(expected, 8);
    const standing = await standingOf("cached-usd");
    expect(standing.consumed).toBeCloseTo(expected, 12);
    expect(standing.reserved).toBe(0);
  });

  it("judges a request right at a budget's limit by its exact token count, not by its upper bound", async () => {
    expect(Buffer.byteLength(edgePrompt)).toBeGreaterThan(edgeLimit);
    const messages = [{ role: "user" as const, content: edgePrompt }];
    const over = await apiError(openai("edge-agent").chat.completions.create({ model: "palyra-echo", messages, max_tokens: edgeLimit - edgePromptTokens + 1 }));
    expect(over.status).toBe(429);
    expect(over.message).toContain(
      `budget "edge-tokens" (tokens, daily) allows ${edgeLimit} tokens more; this request could use up to ${edgeLimit + 1} tokens`,
    );
    const exact = await openai("edge-agent").chat.completions.create({ model: "palyra-echo", messages, max_tokens: edgeLimit - edgePromptTokens });
    expect(exact.usage?.prompt_tokens).toBe(edgePromptTokens);
    expect(await standingOf("edge-tokens")).toMatchObject({ consumed: edgePromptTokens + (exact.usage?.completion_tokens ?? 0), reserved: 0 });
  });

  it("keeps scopes apart: agent A is blocked, agent B is not, streamed or not", async () => {
    const request = { model: "palyra-echo", messages: [{ role: "user" as const, content: "hello there" }] };
    const blocked = await apiError(openai("agent-a").chat.completions.create(request));
    expect(blocked.status).toBe(429);
    expect(blocked.message).toContain('budget "agent-a-cap" (tokens, daily)');
    const blockedStream = await apiError(openai("agent-a").chat.completions.create({ ...request, stream: true }));
    expect(blockedStream.status).toBe(429);
    expect(blockedStream.code).toBe("budget_exceeded");
    const answer = await openai("agent-b").chat.completions.create(request);
    expect(answer.choices[0]?.message.content).toBe("hello there");
  });

  it("keeps session, user and API-key scopes apart, wherever the caller names them", async () => {
    const request = { model: "palyra-echo", messages: [{ role: "user" as const, content: "hello there" }] };
    const bySession = (sessionId: string) => openai("any-agent", { "x-palyra-session-id": sessionId }).chat.completions.create(request);
    expect((await apiError(bySession("session-capped"))).message).toContain('budget "session-cap" (tokens, daily)');
    expect((await bySession("session-free")).choices[0]?.message.content).toBe("hello there");
    // The OpenAI `user` field is the user scope.
    const byUser = (user: string) => openai("any-agent").chat.completions.create({ ...request, user });
    expect((await apiError(byUser("user-capped"))).message).toContain('budget "user-cap" (tokens, daily)');
    expect((await byUser("user-free")).choices[0]?.message.content).toBe("hello there");
    // Scope ids are ids: a document-sized one is refused, naming the field.
    const huge = await apiError(byUser("u".repeat(300)));
    expect(huge.status).toBe(400);
    expect(huge.param).toBe("user");
    expect(huge.message).toContain("the end-user id (OpenAI's user) must be at most 256 characters");

    // An api_key policy binds the runs of that client key, and no other caller's.
    const keys = createClient(ApiKeysService, createGrpcTransport({ baseUrl: gateway.grpcBase }));
    const key = await keys.createApiKey({ name: "capped app", scopes: ["chat.create"] }, auth);
    const keyId = key.key?.keyId ?? "";
    await usage.setBudgetPolicy(
      {
        policy: {
          policyId: "key-cap",
          scopeKind: BudgetScopeKind.API_KEY,
          scopeId: keyId,
          metricKind: BudgetMetricKind.TOKENS,
          intervalKind: BudgetIntervalKind.DAILY,
          hardLimitValue: 5,
          action: BudgetAction.BLOCK,
          enabled: true,
        },
      },
      auth,
    );
    const asKey = new OpenAI({ apiKey: key.secret, baseURL: `${gateway.httpBase}/v1`, maxRetries: 0 });
    const refused = await apiError(asKey.chat.completions.create(request));
    expect(refused.status).toBe(429);
    expect(refused.message).toContain('budget "key-cap" (tokens, daily)');
    expect((await openai("any-agent").chat.completions.create(request)).choices[0]?.message.content).toBe("hello there");
    await usage.deleteBudgetPolicy({ policyId: "key-cap" }, auth);
    expect((await asKey.chat.completions.create(request)).choices[0]?.message.content).toBe("hello there");
  });

  it("records one alert when a soft limit is crossed, and lets the requests through", async () => {
    const client = openai("soft-agent");
    for (let index = 0; index < 3; index += 1) {
      await client.chat.completions.create({ model: "palyra-echo", messages: [{ role: "user", content: "a few words past the soft limit" }] });
    }
    const { alerts } = await usage.listAlerts({ policyId: "soft-watch" }, auth);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ policyId: "soft-watch", softLimitValue: 10 });
    expect(alerts[0]?.consumed).toBeGreaterThanOrEqual(10);
    expect(alerts[0]?.message).toContain('budget "soft-watch" (tokens, daily) used');
    const listed = await cli(["usage", "budgets", "alerts", "--policy", "soft-watch", "--json"]);
    expect(JSON.parse(listed.stdout).alerts).toEqual([expect.objectContaining({ policyId: "soft-watch", softLimitValue: 10, message: alerts[0]?.message })]);
    // Daily in Europe/Berlin: the interval starts at a local midnight (22:00 or 23:00 UTC).
    expect([22, 23]).toContain(alerts[0]?.intervalStart && timestampDate(alerts[0].intervalStart).getUTCHours());
  });

  it("holds a require_approval request (409) until approved with the CLI, then lets the same request through once", async () => {
    const request = { model: "palyra-echo", messages: [{ role: "user" as const, content: "may I spend a little" }] };
    const held = await apiError(openai("approval-agent").chat.completions.create(request));
    expect(held.status).toBe(409);
    expect(held.code).toBe("approval_required");
    const approvalId = /approval_id=([0-9a-f-]+)/.exec(held.message)?.[1] ?? "";
    expect(approvalId).not.toBe("");
    // Typed as well as in words: a header on /v1, a field of the ErrorDetail over gRPC.
    expect(held.headers?.get("x-palyra-approval-id")).toBe(approvalId);
    const rpc = createClient(GatewayService, createGrpcTransport({ baseUrl: gateway.grpcBase }));
    const start = {
      action: {
        case: "start" as const,
        value: {
          model: "palyra-echo",
          agentId: "approval-agent",
          messages: [{ role: Role.USER, parts: [{ part: { case: "text" as const, value: "may I spend a little" } }] }],
        },
      },
    };
    const refusal = await (async () => {
      async function* requests() {
        yield start;
      }
      for await (const event of rpc.runStream(requests(), auth)) void event;
    })().then(
      () => undefined,
      (error: unknown) => ConnectError.from(error),
    );
    expect(refusal?.code).toBe(Code.FailedPrecondition);
    // The same request by the same caller waits on the same approval.
    expect(refusal?.findDetails(ErrorDetailSchema)[0]).toMatchObject({ code: "approval_required", approvalId });

    const pending = await cli(["usage", "approvals", "list", "--pending", "--json"]);
    expect(pending.code).toBe(0);
    expect(JSON.parse(pending.stdout).approvals).toEqual([
      expect.objectContaining({ approvalId, policyId: "needs-ok", state: "pending", agentId: "approval-agent", modelId: "palyra-echo" }),
    ]);
    const approved = await cli(["usage", "approvals", "approve", approvalId, "--reason", "one-off", "--json"]);
    expect(approved.stderr).toBe("");
    expect(JSON.parse(approved.stdout).approval).toMatchObject({ approvalId, state: "approved", reason: "one-off" });

    // Another request cannot ride on it.
    const other = await apiError(
      openai("approval-agent", { "x-palyra-approval-id": approvalId }).chat.completions.create({
        ...request,
        messages: [{ role: "user", content: "something else" }],
      }),
    );
    expect(other.status).toBe(409);
    const passed = await openai("approval-agent", { "x-palyra-approval-id": approvalId }).chat.completions.create(request);
    expect(passed.choices[0]?.message.content).toBe("may I spend a little");
    const again = await apiError(openai("approval-agent", { "x-palyra-approval-id": approvalId }).chat.completions.create(request));
    expect(again.status).toBe(409);
    expect(again.message).toContain("already used");

    const { approvals } = await usage.listApprovals({ pendingOnly: false }, auth);
    expect(approvals.find((approval) => approval.approvalId === approvalId)?.state).toBe(4 /* CONSUMED */);
    const denied = await cli(["usage", "approvals", "deny", approvalId]);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain("already consumed");
  });

  it("sets, lists and removes runtime policies over gRPC and the CLI, naming the field at fault", async () => {
    const bad = await usage
      .setBudgetPolicy(
        {
          policy: {
            policyId: "x",
            scopeKind: BudgetScopeKind.AGENT,
            metricKind: BudgetMetricKind.TOKENS,
            intervalKind: BudgetIntervalKind.DAILY,
            hardLimitValue: 10,
            enabled: true,
          },
        },
        auth,
      )
      .then(
        () => undefined,
        (error: unknown) => ConnectError.from(error),
      );
    expect(bad?.code).toBe(Code.InvalidArgument);
    expect(bad?.rawMessage).toContain("policy.scope_id: required");
    const noMetric = await usage
      .setBudgetPolicy({ policy: { policyId: "x", scopeKind: BudgetScopeKind.GLOBAL, hardLimitValue: 1 } }, auth)
      .catch((error: unknown) => ConnectError.from(error));
    expect((noMetric as ConnectError).rawMessage).toContain("policy.metric_kind");

    const set = await usage.setBudgetPolicy(
      {
        policy: {
          policyId: "rt-weekly",
          scopeKind: BudgetScopeKind.USER,
          scopeId: "u-1",
          metricKind: BudgetMetricKind.USD_COST,
          intervalKind: BudgetIntervalKind.WEEKLY,
          softLimitValue: 1,
          hardLimitValue: 2,
          action: BudgetAction.BLOCK,
          enabled: true,
        },
      },
      auth,
    );
    expect(set.policy).toMatchObject({ policyId: "rt-weekly", source: "runtime", standing: { consumed: 0, reserved: 0, remaining: 2 } });
    // Weeks start on Monday at local midnight.
    const intervalStart = set.policy?.standing?.intervalStart;
    const start = intervalStart === undefined ? new Date(0) : timestampDate(intervalStart);
    const local = Object.fromEntries(
      new Intl.DateTimeFormat("en-US", { timeZone: "Europe/Berlin", weekday: "short", hour: "numeric", minute: "numeric", hourCycle: "h23" })
        .formatToParts(start)
        .map((part) => [part.type, part.value]),
    );
    expect([local.weekday, Number(local.hour), Number(local.minute)]).toEqual(["Mon", 0, 0]);

    const setForKey = (keyId: string) =>
      cli([
        "usage",
        "budgets",
        "set",
        "cli-monthly",
        "--scope",
        "api_key",
        "--scope-id",
        keyId,
        "--metric",
        "tokens",
        "--interval",
        "monthly",
        "--hard",
        "5000",
        "--action",
        "alert_only",
        "--json",
      ]);
    // A policy for a key that was never issued would apply to no one.
    const unknownKey = await setForKey("0123456789ab");
    expect(unknownKey.code).not.toBe(0);
    expect(unknownKey.stderr).toContain('policy.scope_id: no API key with id "0123456789ab"');
    const keys = createClient(ApiKeysService, createGrpcTransport({ baseUrl: gateway.grpcBase }));
    const keyId = (await keys.createApiKey({ name: "monthly app", scopes: ["chat.create"] }, auth)).key?.keyId ?? "";
    const cliSet = await setForKey(keyId);
    expect(cliSet.stderr).toBe("");
    expect(JSON.parse(cliSet.stdout).policy).toMatchObject({
      policyId: "cli-monthly",
      scopeKind: "api_key",
      scopeId: keyId,
      metricKind: "tokens",
      intervalKind: "monthly",
      hardLimitValue: 5000,
      action: "alert_only",
      enabled: true,
      source: "runtime",
    });
    const table = await cli(["usage", "budgets", "list"]);
    expect(table.stdout).toMatch(/^ID\s+SOURCE\s+SCOPE\s+METRIC\s+INTERVAL/m);
    expect(table.stdout).toMatch(new RegExp(`^cli-monthly\\s+runtime\\s+api_key:${keyId}\\s+tokens\\s+monthly\\s+-\\s+5,000\\s+alert_only\\s+yes`, "m"));
    expect(table.stdout).toMatch(/^burst\s+config\s+agent:burst-agent\s+usd_cost\s+daily/m);
    const listed = JSON.parse((await cli(["usage", "budgets", "list", "--json"])).stdout).policies as {
      policyId: string;
      standing: { remaining: number | null };
    }[];
    expect(listed.find((policy) => policy.policyId === "soft-watch")?.standing.remaining).toBeNull();

    expect(JSON.parse((await cli(["usage", "budgets", "remove", "cli-monthly", "--json"])).stdout)).toEqual({ deleted: true });
    const fromConfig = await cli(["usage", "budgets", "remove", "burst"]);
    expect(fromConfig.code).not.toBe(0);
    expect(fromConfig.stderr).toContain('budget "burst" comes from the config file');
    expect((await usage.deleteBudgetPolicy({ policyId: "rt-weekly" }, auth)).deleted).toBe(true);
    expect((await usage.listBudgetPolicies({}, auth)).policies.map((policy) => policy.policyId)).not.toContain("rt-weekly");
  });
});
