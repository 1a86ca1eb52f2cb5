import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ConnectionStatus,
  type DiscoverResponse,
  type GetModelsStatusResponse,
  HealthState,
  type ListModelsResponse,
  ModelRole,
  ModelsServiceClient,
  type TestConnectionResponse,
} from "../../gen/grpc-js/palyra/gateway/v1/models.js";
import { fakeAnthropicModels } from "../fixtures/fake-anthropic-answers.js";
import { type FakeAnthropic, startFakeAnthropic } from "../fixtures/fake-anthropic-upstream.js";
import { type FakeOpenAI, startFakeOpenAI } from "../fixtures/fake-openai-upstream.js";
import { startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";
import { cleanEnv, runPalyra } from "./support/palyra-process.js";

// TestConnection, Discover and the health they leave behind, against the real daemon and fake
// upstreams on loopback: over the generated grpc-js client, the CLI, and (for discovered models) /v1.

const openaiKey = "sk-test-health-OPENAI-0001";
const anthropicKey = "sk-ant-test-health-ANTHROPIC-0002";
const wrongKey = "sk-test-wrong-key-WRONG-0003";

let openaiUpstream: FakeOpenAI;
let anthropicUpstream: FakeAnthropic;
let gateway: TestGateway;
let models: ModelsServiceClient;
let cliDir: string;

beforeAll(async () => {
  openaiUpstream = await startFakeOpenAI({ apiKey: openaiKey });
  anthropicUpstream = await startFakeAnthropic({ apiKey: anthropicKey });
  gateway = await startTestGateway({
    configToml: `
version = 1
[model_provider]
default_chat_model_id = "palyra-echo"
# Background checks would race the faults queued below; these tests probe on demand.
health_ttl_ms = 3600000

[[model_provider.providers]]
provider_id = "local"
kind = "deterministic"

[[model_provider.providers]]
provider_id = "openai"
kind = "openai_compatible"
base_url = "${openaiUpstream.baseUrl}"
allow_private_base_url = true
api_key = "${openaiKey}"
max_retries = 0

[[model_provider.providers]]
provider_id = "openai-wrong-key"
kind = "openai_compatible"
base_url = "${openaiUpstream.baseUrl}"
allow_private_base_url = true
api_key = "${wrongKey}"

# No allow_private_base_url: the address guard refuses the loopback address before connecting.
[[model_provider.providers]]
provider_id = "guarded"
kind = "openai_compatible"
base_url = "${openaiUpstream.baseUrl}"
api_key = "${openaiKey}"
max_retries = 0

[[model_provider.providers]]
provider_id = "claude"
kind = "anthropic"
base_url = "${anthropicUpstream.baseUrl}"
allow_private_base_url = true
api_key = "${anthropicKey}"
max_retries = 0

[[model_provider.models]]
model_id = "palyra-echo"
provider_id = "local"

[[model_provider.models]]
model_id = "mini"
provider_id = "openai"
upstream_model = "gpt-4o-mini"
`,
  });
  models = new ModelsServiceClient(gateway.grpcAddress, credentials.createInsecure());
  cliDir = mkdtempSync(join(tmpdir(), "palyra-health-cli-"));
});

afterAll(async () => {
  models?.close();
  await gateway?.stop();
  await Promise.all([openaiUpstream?.close(), anthropicUpstream?.close()]);
  if (cliDir) rmSync(cliDir, { recursive: true, force: true });
});

function auth(): Metadata {
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${testToken}`);
  return metadata;
}

function call<Response>(invoke: (done: (error: ServiceError | null, response: Response) => void) => void): Promise<Response> {
  return new Promise((resolve, reject) => invoke((error, response) => (error ? reject(error) : resolve(response))));
}

const testConnection = (providerId = "", timeoutMs = 0) =>
  call<TestConnectionResponse>((done) => models.testConnection({ providerId, timeoutMs }, auth(), done));
const discover = (providerId = "") => call<DiscoverResponse>((done) => models.discover({ providerId }, auth(), done));
const modelsStatus = () => call<GetModelsStatusResponse>((done) => models.getModelsStatus({}, auth(), done));
const listModels = () =>
  call<ListModelsResponse>((done) => models.listModels({ role: ModelRole.MODEL_ROLE_UNSPECIFIED, includeDisabled: false }, auth(), done));

/** An upstream answer that comes only long after any test is over: whatever ends the request first is the gateway. */
const holdTenMinutes = { kind: "delay", ms: 600_000 } as const;

const palyra = (args: string[]) =>
  runPalyra([...args, "--addr", gateway.grpcAddress, "--json"], { cwd: cliDir, env: cleanEnv({ PALYRA_ADMIN_TOKEN: testToken }) });

describe("TestConnection over gRPC", () => {
  it("reports every enabled provider: ok, auth_failed for a wrong key, not_applicable for the deterministic one", async () => {
    const { results } = await testConnection();
    const byProvider = Object.fromEntries(results.map((result) => [result.providerId, result]));
    expect(Object.keys(byProvider).sort()).toEqual(["claude", "guarded", "local", "openai", "openai-wrong-key"]);
    expect(byProvider.openai).toMatchObject({ status: ConnectionStatus.CONNECTION_STATUS_OK, modelCount: 4, detail: "listed 4 models" });
    expect(byProvider.claude).toMatchObject({ status: ConnectionStatus.CONNECTION_STATUS_OK, modelCount: fakeAnthropicModels.length });
    expect(byProvider["openai-wrong-key"]?.status).toBe(ConnectionStatus.CONNECTION_STATUS_AUTH_FAILED);
    expect(byProvider["openai-wrong-key"]?.detail).toContain("401");
    expect(byProvider["openai-wrong-key"]?.detail).not.toContain(wrongKey);
    expect(byProvider.local).toMatchObject({ status: ConnectionStatus.CONNECTION_STATUS_NOT_APPLICABLE, latencyMs: 0 });
    expect(byProvider.guarded?.status).toBe(ConnectionStatus.CONNECTION_STATUS_BLOCKED);
    expect(byProvider.guarded?.detail).toContain("allow_private_base_url");
  });

  it("sends the listing requests each wire format expects", () => {
    const openaiListing = openaiUpstream.requests.find((request) => request.path === "/v1/models" && request.headers.authorization === `Bearer ${openaiKey}`);
    expect(openaiListing?.method).toBe("GET");
    const anthropicListing = anthropicUpstream.requests.find((request) => request.path.startsWith("/v1/models"));
    expect(anthropicListing).toMatchObject({ method: "GET" });
    expect(anthropicListing?.headers).toMatchObject({ "x-api-key": anthropicKey, "anthropic-version": "2023-06-01" });
  });

  it("reports rate_limited when the upstream answers 429", async () => {
    openaiUpstream.enqueue({ kind: "status", status: 429, headers: { "retry-after": "1" } });
    const { results } = await testConnection("openai");
    expect(results).toHaveLength(1);
    expect(results[0]?.status).toBe(ConnectionStatus.CONNECTION_STATUS_RATE_LIMITED);
  });

  it("reports timeout when the upstream answers after timeout_ms", async () => {
    // The upstream would answer after ten minutes: the probe's limit ends it, however slow the machine.
    const index = anthropicUpstream.requests.length;
    anthropicUpstream.enqueue(holdTenMinutes);
    const { results } = await testConnection("claude", 150);
    expect(results[0]?.status).toBe(ConnectionStatus.CONNECTION_STATUS_TIMEOUT);
    expect(results[0]?.latencyMs).toBeGreaterThanOrEqual(140);
    // It gave up rather than waited: the upstream saw its connection closed before it could answer.
    expect(await anthropicUpstream.closed(index)).toEqual({ completed: false });
  });

  it("answers NOT_FOUND naming provider_id for an unknown provider", async () => {
    const error = (await testConnection("nope").catch((caught: unknown) => caught)) as ServiceError;
    expect(error.code).toBe(status.NOT_FOUND);
    expect(error.details).toContain('provider "nope" does not exist');
  });

  it("leaves the health it measured in GetModelsStatus", async () => {
    const probedFrom = Date.now();
    await testConnection("openai");
    await testConnection("openai-wrong-key");
    const before = Date.now();
    const { providers } = await modelsStatus();
    const byProvider = Object.fromEntries(providers.map((provider) => [provider.providerId, provider]));
    expect(byProvider.openai?.health).toMatchObject({ state: HealthState.HEALTH_STATE_OK, detail: "listed 4 models" });
    expect(byProvider.openai?.health?.checkedAt?.getTime()).toBeLessThanOrEqual(before);
    // Checked by this test's probe, not an earlier one, however long the probes took.
    expect(byProvider.openai?.health?.checkedAt?.getTime()).toBeGreaterThanOrEqual(probedFrom);
    expect(byProvider["openai-wrong-key"]?.health?.state).toBe(HealthState.HEALTH_STATE_DOWN);
    expect(byProvider["openai-wrong-key"]?.health?.detail).toContain("401");
  });
});

describe("palyra models test-connection", () => {
  it("prints one result per provider as JSON, and exits 1 when a provider fails", async () => {
    const result = await palyra(["models", "test-connection"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(1);
    const { results } = JSON.parse(result.stdout) as { results: { providerId: string; status: string; modelCount?: number }[] };
    const statuses = Object.fromEntries(results.map((entry) => [entry.providerId, entry.status]));
    expect(statuses).toEqual({
      local: "CONNECTION_STATUS_NOT_APPLICABLE",
      openai: "CONNECTION_STATUS_OK",
      "openai-wrong-key": "CONNECTION_STATUS_AUTH_FAILED",
      guarded: "CONNECTION_STATUS_BLOCKED",
      claude: "CONNECTION_STATUS_OK",
    });
  });

  it("probes one provider within --timeout-ms", async () => {
    openaiUpstream.enqueue(holdTenMinutes);
    const timedOut = await palyra(["models", "test-connection", "--provider", "openai", "--timeout-ms", "150"]);
    expect(timedOut.code).toBe(1);
    expect((JSON.parse(timedOut.stdout) as { results: { status: string }[] }).results.map((entry) => entry.status)).toEqual(["CONNECTION_STATUS_TIMEOUT"]);

    openaiUpstream.enqueue({ kind: "status", status: 429 });
    const limited = await palyra(["models", "test-connection", "--provider", "openai"]);
    expect((JSON.parse(limited.stdout) as { results: { status: string }[] }).results[0]?.status).toBe("CONNECTION_STATUS_RATE_LIMITED");

    const ok = await palyra(["models", "test-connection", "--provider", "openai"]);
    expect(ok.code).toBe(0);
  });

  it("prints a line per provider with status, latency and detail without --json", async () => {
    const result = await runPalyra(["models", "test-connection", "--provider", "claude", "--addr", gateway.grpcAddress], {
      cwd: cliDir,
      env: cleanEnv({ PALYRA_ADMIN_TOKEN: testToken }),
    });
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^PROVIDER\s+STATUS\s+LATENCY\s+DETAIL$/);
    expect(lines[1]).toMatch(/^claude\s+ok\s+\d+ ms\s+listed 2 models$/);
  });

  it("fails with NOT_FOUND for an unknown provider", async () => {
    const result = await palyra(["models", "test-connection", "--provider", "nope"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("NOT_FOUND");
  });
});

describe("Discover", () => {
  it("adds the models a provider lists and does not serve yet, marked discovered in ListModels", async () => {
    const { providers } = await discover("openai");
    expect(providers).toHaveLength(1);
    expect(providers[0]).toMatchObject({
      providerId: "openai",
      status: ConnectionStatus.CONNECTION_STATUS_OK,
      upstreamModels: ["gpt-4o-mini", "gpt-4o", "text-embedding-3-small", "whisper-1"],
      // gpt-4o-mini is already served as "mini".
      addedModelIds: ["openai/gpt-4o", "openai/text-embedding-3-small", "openai/whisper-1"],
    });
    const listed = (await listModels()).models;
    const added = listed.find((model) => model.modelId === "openai/gpt-4o");
    expect(added).toMatchObject({ providerId: "openai", upstreamModel: "gpt-4o", role: ModelRole.MODEL_ROLE_CHAT, enabled: true, discovered: true });
    expect(listed.find((model) => model.modelId === "mini")?.discovered).toBe(false);

    expect((await discover("openai")).providers[0]?.addedModelIds).toEqual([]);
  });

  it("reports each enabled HTTP provider when none is named, adding nothing where the listing fails", async () => {
    const { providers } = await discover();
    const byProvider = Object.fromEntries(providers.map((provider) => [provider.providerId, provider]));
    expect(Object.keys(byProvider).sort()).toEqual(["claude", "guarded", "openai", "openai-wrong-key"]);
    expect(byProvider["openai-wrong-key"]).toMatchObject({ status: ConnectionStatus.CONNECTION_STATUS_AUTH_FAILED, addedModelIds: [] });
    expect(byProvider.guarded).toMatchObject({ status: ConnectionStatus.CONNECTION_STATUS_BLOCKED, addedModelIds: [] });
    expect(byProvider.claude?.addedModelIds).toEqual(fakeAnthropicModels.map((name) => `claude/${name}`));
    expect(byProvider.openai?.addedModelIds).toEqual([]);
  });

  it("serves chats through /v1 with the discovered models", async () => {
    const client = new OpenAI({ apiKey: testToken, baseURL: `${gateway.httpBase}/v1`, maxRetries: 0 });
    const listed = await client.models.list();
    expect(listed.data.map((model) => model.id)).toEqual(expect.arrayContaining(["openai/gpt-4o", "claude/claude-haiku-4-5"]));

    const openaiAnswer = await client.chat.completions.create({ model: "openai/gpt-4o", messages: [{ role: "user", content: "hello there" }] });
    expect(openaiAnswer.choices[0]?.message.content).toBe("echo: hello there");
    const lastOpenAI = openaiUpstream.requests.at(-1);
    expect(lastOpenAI?.path).toBe("/v1/chat/completions");
    expect((lastOpenAI?.body as { model?: string }).model).toBe("gpt-4o");

    const claudeAnswer = await client.chat.completions.create({
      model: "claude/claude-haiku-4-5",
      messages: [{ role: "user", content: "hi claude" }],
    });
    expect(claudeAnswer.choices[0]?.message.content).toBe("echo: hi claude");
    expect((anthropicUpstream.requests.at(-1)?.body as { model?: string }).model).toBe("claude-haiku-4-5");
  });

  it("lists the added ids from the CLI", async () => {
    const json = await palyra(["models", "discover", "--provider", "local"]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ providers: [{ providerId: "local", status: "CONNECTION_STATUS_NOT_APPLICABLE", detail: expect.any(String) }] });

    const text = await runPalyra(["models", "discover", "--provider", "claude", "--addr", gateway.grpcAddress], {
      cwd: cliDir,
      env: cleanEnv({ PALYRA_ADMIN_TOKEN: testToken }),
    });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^claude\s+ok\s+2\s+0\s*$/m);
  });
});
