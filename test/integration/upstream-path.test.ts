import Database from "better-sqlite3";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type FakeAnthropic, startFakeAnthropic } from "../fixtures/fake-anthropic-upstream.js";
import { type FakeOpenAI, startFakeOpenAI } from "../fixtures/fake-openai-upstream.js";
import { startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";

// The upstream path from /v1, judged by outcomes: what the fake upstreams received and saw closed,
// what the caller got, and how the run was recorded. No timed assertions: the time limits here are
// small only so that the tests are quick, and a hanging upstream holds its answer for ten minutes.

let openaiFake: FakeOpenAI;
let anthropicFake: FakeAnthropic;
let hangingFake: FakeOpenAI;
let backupFake: FakeOpenAI;
let gateway: TestGateway;
let client: OpenAI;

const tenMinutes = { kind: "delay", ms: 600_000 } as const;

beforeAll(async () => {
  [openaiFake, anthropicFake, hangingFake, backupFake] = await Promise.all([startFakeOpenAI(), startFakeAnthropic(), startFakeOpenAI(), startFakeOpenAI()]);
  gateway = await startTestGateway({
    configToml: `
version = 1
[model_provider]
# No background health checks: they would take faults queued for the tests' own requests.
health_ttl_ms = 3600000
circuit_breaker_failure_threshold = 100
retry_backoff_ms = 5

[[model_provider.providers]]
provider_id = "openai"
kind = "openai_compatible"
base_url = "${openaiFake.baseUrl}"
allow_private_base_url = true

[[model_provider.providers]]
provider_id = "anthropic"
kind = "anthropic"
base_url = "${anthropicFake.baseUrl}"
allow_private_base_url = true

# Its upstream never answers in time; its short limit is what ends each attempt.
[[model_provider.providers]]
provider_id = "hanging"
kind = "openai_compatible"
base_url = "${hangingFake.baseUrl}"
allow_private_base_url = true
request_timeout_ms = 2000
max_retries = 0

[[model_provider.providers]]
provider_id = "backup"
kind = "openai_compatible"
base_url = "${backupFake.baseUrl}"
allow_private_base_url = true

[[model_provider.models]]
model_id = "gpt-fake"
provider_id = "openai"
cost_tier = 5

[[model_provider.models]]
model_id = "claude-fake"
provider_id = "anthropic"
cost_tier = 5

[[model_provider.models]]
model_id = "hanging-model"
provider_id = "hanging"
cost_tier = 5

# The cheapest, so it is the first candidate when another must serve.
[[model_provider.models]]
model_id = "backup-model"
provider_id = "backup"
cost_tier = 0
`,
  });
  client = new OpenAI({ apiKey: testToken, baseURL: `${gateway.httpBase}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await gateway?.stop();
  await Promise.all([openaiFake?.close(), anthropicFake?.close(), hangingFake?.close(), backupFake?.close()]);
});

function runStatus(clientRequestId: string): unknown {
  const db = new Database(gateway.databaseFile, { readonly: true });
  try {
    return (db.prepare("select status from runs where client_request_id = ?").get(clientRequestId) as { status?: unknown } | undefined)?.status;
  } finally {
    db.close();
  }
}

const ask = (model: string, content: string, headers: Record<string, string> = {}, signal?: AbortSignal) =>
  client.chat.completions.create({ model, messages: [{ role: "user", content }] }, { headers, ...(signal !== undefined && { signal }) }).withResponse();

const sentBody = (fake: FakeOpenAI | FakeAnthropic, index: number) => fake.requests[index]?.body as Record<string, unknown> | undefined;

describe.each([
  ["gpt-fake", () => openaiFake],
  ["claude-fake", () => anthropicFake],
] as const)("%s: a request without stream: true", (model, fake) => {
  it("is retried after a reset before the first byte, as a non-streamed upstream request each time", async () => {
    const index = fake().requests.length;
    fake().enqueue({ kind: "reset_before_first_byte" });
    const { data, response } = await ask(model, "try again", { "x-palyra-failover": "off" });
    expect(data.choices[0]?.message.content).toBe("echo: try again");
    expect(response.headers.get("x-palyra-attempts")).toBe("2");
    expect(fake().requests.length).toBe(index + 2);
    for (const attempt of [index, index + 1]) expect(sentBody(fake(), attempt)?.stream).not.toBe(true);
  });

  it("closes its upstream request when the client goes away, and the run is recorded as cancelled", async () => {
    const index = fake().requests.length;
    const requestId = `walk-away-${model}`;
    fake().enqueue(tenMinutes);
    const controller = new AbortController();
    const asked = ask(model, "never mind", { "x-request-id": requestId, "x-palyra-failover": "off" }, controller.signal).catch((error: unknown) => error);
    const received = await fake().received(index);
    expect((received.body as Record<string, unknown>).stream).not.toBe(true);
    controller.abort();
    expect(await asked).toBeInstanceOf(OpenAI.APIUserAbortError);
    expect(await fake().closed(index)).toEqual({ completed: false });
    // vi.waitFor gives up after 1 s by default, which a busy machine can spend before the run is recorded.
    await vi.waitFor(() => expect(runStatus(requestId)).toBe("cancelled"), { timeout: 30_000, interval: 20 });
  });
});

describe("an upstream that does not answer before its time limit", () => {
  it("is given up on and closed, and another provider serves the non-streamed request", async () => {
    const index = hangingFake.requests.length;
    const backupIndex = backupFake.requests.length;
    hangingFake.enqueue(tenMinutes);
    const { data, response } = await ask("hanging-model", "are you there");
    expect(data.choices[0]?.message.content).toBe("echo: are you there");
    expect(response.headers.get("x-palyra-provider")).toBe("backup");
    expect(response.headers.get("x-palyra-attempts")).toBe("2");
    expect(sentBody(hangingFake, index)?.stream).not.toBe(true);
    expect(sentBody(backupFake, backupIndex)?.stream).not.toBe(true);
    expect(await hangingFake.closed(index)).toEqual({ completed: false });
  });

  it("fails over a stream too, since nothing reached the caller yet", async () => {
    const index = hangingFake.requests.length;
    hangingFake.enqueue(tenMinutes);
    const { data: stream, response } = await client.chat.completions
      .create({ model: "hanging-model", messages: [{ role: "user", content: "stream from elsewhere" }], stream: true })
      .withResponse();
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("echo: stream from elsewhere");
    expect(response.headers.get("x-palyra-provider")).toBe("backup");
    expect(sentBody(hangingFake, index)?.stream).toBe(true);
    expect(await hangingFake.closed(index)).toEqual({ completed: false });
  });

  it("answers 504 when nothing else may serve", async () => {
    const index = hangingFake.requests.length;
    hangingFake.enqueue(tenMinutes);
    const error = await ask("hanging-model", "only you", { "x-palyra-failover": "off" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(504);
    expect(hangingFake.requests.length).toBe(index + 1);
    expect(await hangingFake.closed(index)).toEqual({ completed: false });
  });
});
