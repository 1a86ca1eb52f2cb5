import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Role } from "../../gen/es/palyra/gateway/v1/common_pb.js";
import { GatewayService, type RunStreamResponse } from "../../gen/es/palyra/gateway/v1/gateway_pb.js";
import { ModelsService } from "../../gen/es/palyra/gateway/v1/models_pb.js";
import { type FakeAnthropic, startFakeAnthropic } from "../fixtures/fake-anthropic-upstream.js";
import { type FakeOpenAI, startFakeOpenAI } from "../fixtures/fake-openai-upstream.js";
import { startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";

// Retries, failover, timeouts and the response cache, against fake upstreams that fail on demand.

let alpha: FakeOpenAI;
let beta: FakeOpenAI;
let gamma: FakeAnthropic;
let sluggish: FakeOpenAI;
let gateway: TestGateway;
let client: OpenAI;

const capable = "tool_calls = true\njson_mode = true\nvision = true";

beforeAll(async () => {
  [alpha, beta, gamma, sluggish] = await Promise.all([startFakeOpenAI(), startFakeOpenAI(), startFakeAnthropic(), startFakeOpenAI()]);
  gateway = await startTestGateway({
    configToml: `
version = 1
[model_provider]
# No background health checks (the first would come a minute after start): they would take faults
# queued for the tests' own requests, and add to what the fake upstreams recorded.
health_ttl_ms = 3600000
default_chat_model_id = "alpha-large"
retry_backoff_ms = 5
max_retries = 2
response_cache_enabled = true
# An hour, not the default 30 s: the cache test's hits must not depend on how fast its requests run.
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

[[model_provider.providers]]
provider_id = "gamma"
kind = "anthropic"
base_url = "${gamma.baseUrl}"
allow_private_base_url = true

# Only the timeout test uses this short limit. On the others a busy machine could take that long for
# an ordinary answer; its upstream is told to hold every answer until the gateway gives up.
[[model_provider.providers]]
provider_id = "sluggish"
kind = "openai_compatible"
base_url = "${sluggish.baseUrl}"
allow_private_base_url = true
request_timeout_ms = 400

[[model_provider.models]]
model_id = "alpha-large"
provider_id = "alpha"
cost_tier = 5
${capable}

[[model_provider.models]]
model_id = "alpha-mini"
provider_id = "alpha"
cost_tier = 1
${capable}

[[model_provider.models]]
model_id = "beta-large"
provider_id = "beta"
cost_tier = 5
${capable}

[[model_provider.models]]
model_id = "gamma-medium"
provider_id = "gamma"
cost_tier = 3
${capable}

[[model_provider.models]]
model_id = "beta-text-only"
provider_id = "beta"
cost_tier = 0

# The dearest, so that no other test's failover ever reaches it.
[[model_provider.models]]
model_id = "sluggish-large"
provider_id = "sluggish"
cost_tier = 9
${capable}
`,
  });
  client = new OpenAI({ apiKey: testToken, baseURL: `${gateway.httpBase}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await gateway?.stop();
  await Promise.all([alpha?.close(), beta?.close(), gamma?.close(), sluggish?.close()]);
});

const ask = (content: string, extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {}, headers: Record<string, string> = {}) =>
  client.chat.completions.create({ model: "alpha-large", messages: [{ role: "user", content }], ...extra }, { headers }).withResponse();

const askSluggish = (content: string, headers: Record<string, string> = {}) =>
  client.chat.completions.create({ model: "sluggish-large", messages: [{ role: "user", content }] }, { headers }).withResponse();

const counts = () => [alpha.requests.length, beta.requests.length, gamma.requests.length];

async function runStreamEvents(content: string): Promise<RunStreamResponse[]> {
  const rpc = createClient(GatewayService, createGrpcTransport({ baseUrl: gateway.grpcBase }));
  async function* requests() {
    yield {
      action: {
        case: "start" as const,
        value: { model: "alpha-large", messages: [{ role: Role.USER, parts: [{ part: { case: "text" as const, value: content } }] }] },
      },
    };
  }
  const events: RunStreamResponse[] = [];
  for await (const event of rpc.runStream(requests(), { headers: { authorization: `Bearer ${testToken}` } })) events.push(event);
  return events;
}

describe("retries", () => {
  it("retries transient failures on the same provider and says how many attempts it took", async () => {
    alpha.enqueue({ kind: "status", status: 503 }, { kind: "reset_before_first_byte" });
    const before = counts();
    const { data, response } = await ask("retry me");
    expect(data.choices[0]?.message.content).toBe("echo: retry me");
    expect(response.headers.get("x-palyra-model")).toBe("alpha-large");
    expect(response.headers.get("x-palyra-attempts")).toBe("3");
    expect(counts()).toEqual([before[0]! + 3, before[1], before[2]]);
  });

  it("waits as Retry-After says when it fits the time left, and reports the wait", async () => {
    alpha.enqueue({ kind: "status", status: 429, headers: { "retry-after": "0.05" } });
    const events = await runStreamEvents("rate limited once");
    const failed = events.find((event) => event.event.case === "attemptFailed");
    expect(failed?.event.value).toMatchObject({ attempt: 1, modelId: "alpha-large", next: "retry", backoffMs: 50 });
    const routing = events.find((event) => event.event.case === "routing");
    expect(routing?.event.value).toMatchObject({ selectedModel: "alpha-large", attempts: 2 });
    expect(events.at(-1)?.event.case).toBe("completed");
  });

  it("does not wait past the request's time limit: a long Retry-After fails over instead", async () => {
    alpha.enqueue({ kind: "status", status: 429, headers: { "retry-after": "3600" } });
    const { response } = await ask("no hour-long waits");
    expect(response.headers.get("x-palyra-provider")).not.toBe("alpha");
    expect(response.headers.get("x-palyra-attempts")).toBe("2");
  });
});

describe("failover", () => {
  it("moves to the next candidate: another provider first, cheaper tier first, same provider last", async () => {
    alpha.enqueue(...Array.from({ length: 3 }, () => ({ kind: "status", status: 500 }) as const));
    const first = await ask("alpha is down");
    // Other providers by cost: beta-text-only (0), gamma-medium (3), beta-large (5); alpha-mini shares the failed provider.
    expect(first.response.headers.get("x-palyra-model")).toBe("beta-text-only");
    expect(first.response.headers.get("x-palyra-attempts")).toBe("4");

    alpha.enqueue(...Array.from({ length: 3 }, () => ({ kind: "status", status: 500 }) as const));
    const withTools = await ask("alpha is down, tools needed", {
      tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object" } } }],
    });
    // beta-text-only cannot call tools, so the next is gamma-medium on another provider.
    expect(withTools.response.headers.get("x-palyra-model")).toBe("gamma-medium");
  });

  it("fails over a stream before its first byte, and never after", async () => {
    alpha.enqueue(...Array.from({ length: 3 }, () => ({ kind: "reset_before_first_byte" }) as const));
    const { data: stream, response } = await client.chat.completions
      .create({ model: "alpha-large", messages: [{ role: "user", content: "stream elsewhere" }], stream: true })
      .withResponse();
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("echo: stream elsewhere");
    expect(response.headers.get("x-palyra-provider")).not.toBe("alpha");

    alpha.enqueue({ kind: "reset_after_first_chunk" });
    const before = counts();
    const { data: broken } = await client.chat.completions
      .create({ model: "alpha-large", messages: [{ role: "user", content: "one two three four" }], stream: true })
      .withResponse();
    const failure = await (async () => {
      for await (const _chunk of broken) {
        // the first chunk arrives, then the upstream drops
      }
    })().catch((e) => e);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(counts()).toEqual([before[0]! + 1, before[1], before[2]]);
  });

  it("can be turned off per request", async () => {
    alpha.enqueue(...Array.from({ length: 3 }, () => ({ kind: "status", status: 502 }) as const));
    const before = counts();
    const error = await ask("stay on alpha", {}, { "x-palyra-failover": "off" }).catch((e) => e);
    expect(error.status).toBe(503);
    expect(counts()).toEqual([before[0]! + 3, before[1], before[2]]);
  });

  it("answers a timeout with 504 when nothing else can serve, and fails over when something can", async () => {
    // The 400 ms limit covers the whole request, retries included: one slow attempt uses it all.
    // The upstream would answer only after ten minutes, so the limit is what ends the attempt, however slow the machine.
    const hold = { kind: "delay", ms: 600_000 } as const;
    sluggish.enqueue(hold);
    const before = [...counts(), sluggish.requests.length];
    const error = await askSluggish("too slow", { "x-palyra-failover": "off" }).catch((e) => e);
    expect([...counts(), sluggish.requests.length]).toEqual([before[0], before[1], before[2], before[3]! + 1]);
    expect(error.status).toBe(504);
    expect(error.error?.type ?? error.type).toBe("timeout_error");

    sluggish.enqueue(hold);
    const { response } = await askSluggish("too slow, go elsewhere");
    expect(response.headers.get("x-palyra-provider")).not.toBe("sluggish");
    expect(sluggish.requests.length).toBe(before[3]! + 2);
  });
});

describe("response cache", () => {
  it("serves a repeated deterministic request from the cache, also as a stream, and can be bypassed", async () => {
    const first = await ask("cache this answer", { temperature: 0 });
    expect(first.response.headers.get("x-palyra-cache")).toBe("miss");
    const before = counts();
    const second = await ask("cache this answer", { temperature: 0 });
    expect(second.response.headers.get("x-palyra-cache")).toBe("hit");
    expect(second.response.headers.get("x-palyra-attempts")).toBe("0");
    expect(second.data.choices[0]?.message.content).toBe("echo: cache this answer");

    const { data: stream, response } = await client.chat.completions
      .create({ model: "alpha-large", messages: [{ role: "user", content: "cache this answer" }], temperature: 0, stream: true })
      .withResponse();
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(response.headers.get("x-palyra-cache")).toBe("hit");
    expect(text).toBe("echo: cache this answer");
    expect(counts()).toEqual(before);

    const bypass = await ask("cache this answer", { temperature: 0 }, { "cache-control": "no-cache" });
    expect(bypass.response.headers.get("x-palyra-cache")).toBe("miss");
    expect(counts()[0]).toBe(before[0]! + 1);

    const models = createClient(ModelsService, createGrpcTransport({ baseUrl: gateway.grpcBase }));
    const { cache } = await models.getModelsStatus({}, { headers: { authorization: `Bearer ${testToken}` } });
    expect(cache).toMatchObject({ enabled: true, maxEntries: 128 });
    expect(Number(cache?.hits)).toBeGreaterThanOrEqual(2);
    expect(cache?.entries).toBeGreaterThanOrEqual(1);
  });

  it("does not cache non-deterministic requests", async () => {
    await ask("warm", { temperature: 0.7 });
    const again = await ask("warm", { temperature: 0.7 });
    expect(again.response.headers.get("x-palyra-cache")).toBe("miss");
  });
});
