import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import Database from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeysServiceClient, type CreateApiKeyRequest, type CreateApiKeyResponse } from "../../gen/grpc-js/palyra/gateway/v1/api_keys.js";
import { DiagnosticsServiceClient } from "../../gen/grpc-js/palyra/gateway/v1/diagnostics.js";
import { type AbortRunResponse, type EmbedResponse, GatewayServiceClient, type RunStreamResponse } from "../../gen/grpc-js/palyra/gateway/v1/gateway.js";
import { setApiKeyExpiry } from "../../src/store/api-keys-repository.js";
import type { Database as Tables } from "../../src/store/tables.js";
import { startOf } from "../helpers/grpc-js-requests.js";
import { slowModelConfig, startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";
import { cleanEnv, runPalyra } from "./support/palyra-process.js";

let gateway: TestGateway;
let keysClient: ApiKeysServiceClient;
let gatewayClient: GatewayServiceClient;
let diagnosticsClient: DiagnosticsServiceClient;
/** Every key this file was given, to look for in the state directory at the end. */
const issuedSecrets: string[] = [];

const bearer = (token: string) => {
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  return metadata;
};

function unary<Res>(invoke: (callback: (error: ServiceError | null, response: Res) => void) => unknown): Promise<Res> {
  return new Promise((resolve, reject) => invoke((error, response) => (error ? reject(error) : resolve(response))));
}

async function createKey(request: Partial<CreateApiKeyRequest>): Promise<{ keyId: string; secret: string }> {
  const full: CreateApiKeyRequest = { name: "test", agentId: "", scopes: ["chat.create"], rpmLimit: 0, tpmLimit: 0, expiresInSeconds: 0, ...request };
  const response = await unary<CreateApiKeyResponse>((done) => keysClient.createApiKey(full, bearer(testToken), done));
  issuedSecrets.push(response.secret);
  return { keyId: response.key?.keyId ?? "", secret: response.secret };
}

const openai = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${gateway.httpBase}/v1`, maxRetries: 0 });
const chat = (client: OpenAI, text = "hello") =>
  client.chat.completions.create({ model: "palyra-echo", messages: [{ role: "user", content: text }] }).withResponse();

function runStream(token: string, text: string, agentId = ""): Promise<RunStreamResponse[]> {
  return new Promise((resolve, reject) => {
    const call = gatewayClient.runStream(bearer(token));
    const events: RunStreamResponse[] = [];
    call.on("data", (event: RunStreamResponse) => events.push(event));
    call.on("error", reject);
    call.on("end", () => resolve(events));
    call.write(startOf(text, { agentId }));
    call.end();
  });
}

const embed = (token: string) =>
  unary<EmbedResponse>((done) =>
    gatewayClient.embed({ model: "echo-embed", inputs: ["one"], agentId: "", sessionId: "", userId: "", clientRequestId: "" }, bearer(token), done),
  );

function runRow(runId: string): Record<string, unknown> | undefined {
  const db = new Database(gateway.databaseFile, { readonly: true });
  try {
    return db.prepare("select caller_id, agent_id, status from runs where run_id = ?").get(runId) as Record<string, unknown> | undefined;
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  // glacial-echo waits a minute per chunk: a run of it is still in flight whatever a busy machine does meanwhile.
  gateway = await startTestGateway({
    configToml: `${slowModelConfig}
[[model_provider.providers]]
provider_id = "glacial"
kind = "deterministic"
stream_chunk_delay_ms = 60000

[[model_provider.models]]
model_id = "glacial-echo"
provider_id = "glacial"
`,
  });
  keysClient = new ApiKeysServiceClient(gateway.grpcAddress, credentials.createInsecure());
  gatewayClient = new GatewayServiceClient(gateway.grpcAddress, credentials.createInsecure());
  diagnosticsClient = new DiagnosticsServiceClient(gateway.grpcAddress, credentials.createInsecure());
});

afterAll(async () => {
  keysClient?.close();
  gatewayClient?.close();
  diagnosticsClient?.close();
  await gateway?.stop();
});

describe("client API keys: scopes", () => {
  it("lets a chat-only key chat, and refuses it embeddings, models and admin calls", async () => {
    const { secret } = await createKey({ name: "chat only", scopes: ["chat.create"] });
    const client = openai(secret);
    const { data } = await chat(client, "scoped hello");
    expect(data.choices[0]?.message.content).toBe("scoped hello");

    const embeddings = client.embeddings.create({ model: "echo-embed", input: "nope" });
    await expect(embeddings).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    await expect(embeddings).rejects.toMatchObject({ status: 403, message: expect.stringContaining('"embeddings.create"') });
    await expect(client.models.list()).rejects.toMatchObject({ status: 403, message: expect.stringContaining('"models.read"') });

    await expect(unary((done) => diagnosticsClient.getDiagnostics({}, bearer(secret), done))).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    await expect(unary((done) => keysClient.listApiKeys({ includeRevoked: false }, bearer(secret), done))).rejects.toMatchObject({
      code: status.PERMISSION_DENIED,
    });
    await expect(embed(secret)).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
  });

  it("lets a models.read key list models but not chat", async () => {
    const { secret } = await createKey({ name: "reader", scopes: ["models.read"] });
    const client = openai(secret);
    const models = [];
    for await (const model of client.models.list()) models.push(model.id);
    expect(models).toContain("palyra-echo");
    expect((await client.models.retrieve("palyra-echo")).id).toBe("palyra-echo");
    await expect(chat(client)).rejects.toMatchObject({ status: 403, message: expect.stringContaining('"chat.create"') });
  });

  it("gives an admin-scoped key, and the admin token, every call", async () => {
    const { secret } = await createKey({ name: "operator", scopes: ["admin"] });
    for (const token of [secret, testToken]) {
      await unary((done) => diagnosticsClient.getDiagnostics({}, bearer(token), done));
      await unary((done) => keysClient.listApiKeys({ includeRevoked: true }, bearer(token), done));
      expect((await embed(token)).embeddings).toHaveLength(1);
      await openai(token).models.list();
      await chat(openai(token));
    }
  });

  it("validates new keys: an unknown scope is named, an unknown id is not found", async () => {
    await expect(createKey({ scopes: ["chat.create", "chat.delete"] })).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining('unknown scope "chat.delete"'),
    });
    await expect(unary((done) => keysClient.revokeApiKey({ keyId: "000000000000" }, bearer(testToken), done))).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
  });
});

describe("client API keys: revocation and expiry", () => {
  it("refuses a revoked key at once, on both surfaces", async () => {
    const { keyId, secret } = await createKey({ name: "short lived", scopes: ["models.read", "chat.create"] });
    await openai(secret).models.list();
    await unary((done) => keysClient.revokeApiKey({ keyId }, bearer(testToken), done));
    await expect(openai(secret).models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(chat(openai(secret))).rejects.toMatchObject({ status: 401, message: expect.stringContaining("revoked") });
    await expect(runStream(secret, "hi")).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
  });

  it("refuses an expired key", async () => {
    const { keyId, secret } = await createKey({ name: "expiring", scopes: ["models.read"], expiresInSeconds: 3600 });
    // Age the key through the repository rather than waiting for it.
    const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: new Database(gateway.databaseFile) }) });
    try {
      await setApiKeyExpiry(db, keyId, Date.now() - 1000);
    } finally {
      await db.destroy();
    }
    const listed = openai(secret).models.list();
    await expect(listed).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(listed).rejects.toMatchObject({ status: 401, message: expect.stringContaining("expired") });
  });
});

describe("client API keys: limits", () => {
  it("answers the request over a key's RPM with 429 and Retry-After", async () => {
    const { secret } = await createKey({ name: "rpm", scopes: ["chat.create"], rpmLimit: 2 });
    const client = openai(secret);
    await chat(client, "one");
    await chat(client, "two");
    const third = chat(client, "three");
    await expect(third).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    const error = (await third.catch((caught: unknown) => caught)) as InstanceType<typeof OpenAI.RateLimitError>;
    expect(error.code).toBe("api_key_rate_limited");
    const retryAfter = Number(error.headers?.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });

  it("answers RESOURCE_EXHAUSTED over gRPC once a key's requests per minute are used", async () => {
    const { secret } = await createKey({ name: "rpm grpc", scopes: ["embeddings.create"], rpmLimit: 1 });
    await embed(secret);
    await expect(embed(secret)).rejects.toMatchObject({ code: status.RESOURCE_EXHAUSTED, details: expect.stringContaining("1 requests per minute") });
  });

  it("answers 429 once the tokens of the last minute's runs reach the key's TPM", async () => {
    const { secret } = await createKey({ name: "tpm", scopes: ["chat.create"], tpmLimit: 50 });
    const client = openai(secret);
    // Every request is admitted while the last minute's runs used fewer than 50 tokens.
    let used = 0;
    while (used < 50) {
      // Distinct prompts: a response-cache hit would cost (and count) no tokens.
      const { data } = await chat(client, `sentence number ${used} of about a dozen tokens, echoed back`);
      used += data.usage?.total_tokens ?? 0;
    }
    expect(used).toBeLessThan(100);
    const next = chat(client, "again");
    await expect(next).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    await expect(next).rejects.toMatchObject({ message: expect.stringContaining(`50 tokens per minute (${used} used`) });
  });
});

describe("client API keys: attribution", () => {
  it("records runs of an agent-bound key under its agent, whatever the request says", async () => {
    const { keyId, secret } = await createKey({ name: "agent key", agentId: "agent-from-key", scopes: ["chat.create"] });
    const { response } = await openai(secret)
      .chat.completions.create(
        { model: "palyra-echo", messages: [{ role: "user", content: "who am I" }] },
        { headers: { "x-palyra-agent-id": "claimed-agent" } },
      )
      .withResponse();
    expect(runRow(response.headers.get("x-palyra-run-id") ?? "")).toEqual({ caller_id: keyId, agent_id: "agent-from-key", status: "succeeded" });

    const events = await runStream(secret, "over grpc", "claimed-agent");
    expect(runRow(events[0]?.runId ?? "")).toEqual({ caller_id: keyId, agent_id: "agent-from-key", status: "succeeded" });
  });
});

describe("client API keys: other callers' runs", () => {
  it("lets only the key that started a run abort it or learn its status; the admin may", async () => {
    const owner = await createKey({ name: "owner", scopes: ["chat.create"] });
    const stranger = await createKey({ name: "stranger", scopes: ["chat.create"] });
    // glacial-echo holds the run in flight while the others reach for it.
    const call = gatewayClient.runStream(bearer(owner.secret));
    const events: RunStreamResponse[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      call.on("data", (event: RunStreamResponse) => events.push(event));
      call.on("error", reject);
      call.on("end", () => resolve());
    });
    const firstEvent = new Promise<string>((resolve) => call.once("data", (event: RunStreamResponse) => resolve(event.runId)));
    call.write(startOf("one two three four five six seven eight", { model: "glacial-echo" }));
    const runId = await firstEvent;
    const abort = (token: string) => unary<AbortRunResponse>((done) => gatewayClient.abortRun({ runId, reason: "mine" }, bearer(token), done));
    const refused = await abort(stranger.secret).catch((error: ServiceError) => error);
    expect(refused).toMatchObject({ code: status.NOT_FOUND });
    expect((refused as ServiceError).details).toContain("no run with id");
    expect(await abort(owner.secret)).toMatchObject({ aborted: true });
    await ended;
    expect(events.at(-1)?.cancelled?.reason).toBe("mine");
    // Finished runs too: the stranger is told nothing, the admin sees the status.
    await expect(abort(stranger.secret)).rejects.toMatchObject({ code: status.NOT_FOUND });
    expect(await abort(testToken)).toMatchObject({ aborted: false });
  });
});

describe("palyra keys (CLI)", () => {
  const cli = (args: string[]) =>
    runPalyra([...args, "--addr", gateway.grpcAddress], { cwd: gateway.stateDir, env: cleanEnv({ PALYRA_ADMIN_TOKEN: testToken }) });

  it("creates, lists and revokes keys", async () => {
    const created = await cli(["keys", "create", "--name", "cli key", "--scopes", "models.read", "--rpm", "5", "--expires-in", "30d", "--json"]);
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    const { key, secret } = JSON.parse(created.stdout) as { key: Record<string, unknown>; secret: string };
    issuedSecrets.push(secret);
    expect(key).toMatchObject({ name: "cli key", scopes: ["models.read"], rpmLimit: 5 });
    const lifetimeMs = Date.parse(String(key.expiresAt)) - Date.parse(String(key.createdAt));
    expect(lifetimeMs).toBe(30 * 86_400_000);
    await openai(secret).models.list();

    const text = await cli(["keys", "create", "--name", "plain", "--agent-id", "a-1"]);
    expect(text.code).toBe(0);
    const printed = /plk_[0-9a-f]{12}_\S+/.exec(text.stdout)?.[0] ?? "";
    issuedSecrets.push(printed);
    expect(text.stdout).toContain("only time the key is shown");
    expect(text.stdout).toContain("scopes models.read,chat.create");
    await openai(printed).models.list();

    const listed = await cli(["keys", "list"]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^ID\s+NAME\s+PREFIX/);
    expect(listed.stdout).toContain(String(key.prefix));
    expect(listed.stdout).not.toContain(secret);

    const revoked = await cli(["keys", "revoke", String(key.keyId)]);
    expect(revoked).toMatchObject({ code: 0, stdout: `revoked ${String(key.keyId)} "cli key"\n` });
    await expect(openai(secret).models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);

    const active = JSON.parse((await cli(["keys", "list", "--json"])).stdout) as { keys?: { keyId: string }[] };
    expect(active.keys?.map((listedKey) => listedKey.keyId)).not.toContain(key.keyId);
    const all = JSON.parse((await cli(["keys", "list", "--all", "--json"])).stdout) as { keys?: { keyId: string; revokedAt?: string }[] };
    expect(all.keys?.find((listedKey) => listedKey.keyId === key.keyId)?.revokedAt).toBeDefined();
  });

  it("reports bad input in one line", async () => {
    const badScope = await cli(["keys", "create", "--name", "x", "--scopes", "chat.create,embeddings.make"]);
    expect(badScope.code).toBe(1);
    expect(badScope.stderr).toMatch(/^palyra: INVALID_ARGUMENT: .*unknown scope "embeddings\.make"/);
    const badDuration = await cli(["keys", "create", "--name", "x", "--expires-in", "soon"]);
    expect(badDuration.code).not.toBe(0);
    expect(badDuration.stderr).toContain("--expires-in");
    const unknown = await cli(["keys", "revoke", "000000000000"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("NOT_FOUND");
  });
});

// Last, so that it sees every key the other tests were given.
describe("client API keys: storage", () => {
  it("never writes a key's secret to the database or the state directory", async () => {
    const { keyId } = await createKey({ name: "look for me", scopes: ["chat.create"] });
    const files = readdirSync(gateway.stateDir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
    const contents = files.map((entry) => readFileSync(join(entry.parentPath, entry.name)).toString("latin1")).join("\n");
    // The files do hold the keys' rows (ids, prefixes, hashes)...
    expect(contents).toContain(keyId);
    expect(issuedSecrets.length).toBeGreaterThan(5);
    // ...but no key, nor the secret part of one.
    for (const secret of issuedSecrets) {
      expect(contents).not.toContain(secret);
      expect(contents).not.toContain(secret.slice("plk_000000000000_".length));
    }
  });
});
