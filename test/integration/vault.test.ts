import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DeleteSecretResponse, type ListSecretsResponse, type PutSecretResponse, VaultServiceClient } from "../../gen/grpc-js/palyra/gateway/v1/vault.js";
import { readKeyFile, vaultKeyFileName } from "../../src/identity/vault/master-key.js";
import { type FakeOpenAI, startFakeOpenAI } from "../fixtures/fake-openai-upstream.js";
import { startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";
import { cleanEnv, runPalyra } from "./support/palyra-process.js";

// The vault end to end: the CLI and the generated grpc-js client manage secrets in the real daemon,
// and a provider whose key is "vault:NAME" authenticates to a fake upstream with whatever the vault
// holds at the time of each request.

const upstreamKey = `sk-vault-upstream-${randomBytes(12).toString("hex")}`;
const wrongKey = `sk-vault-wrong-${randomBytes(12).toString("hex")}`;
const grpcValue = `grpc-only-value-${randomBytes(12).toString("hex")}`;
const allValues = [upstreamKey, wrongKey, grpcValue];

let upstream: FakeOpenAI;
let gateway: TestGateway;
let client: OpenAI;
let vaultClient: VaultServiceClient;

beforeAll(async () => {
  upstream = await startFakeOpenAI({ apiKey: upstreamKey });
  gateway = await startTestGateway({
    configToml: `
version = 1
[model_provider]
# No background health checks (the first would come a minute after start): they would take faults
# queued for the tests' own requests, and add to what the fake upstreams recorded.
health_ttl_ms = 3600000
default_chat_model_id = "gpt-vault"

[[model_provider.providers]]
provider_id = "vaulted"
kind = "openai_compatible"
base_url = "${upstream.baseUrl}"
allow_private_base_url = true
api_key_vault_ref = "vault:openai/prod"
max_retries = 0
circuit_breaker_failure_threshold = 100

[[model_provider.models]]
model_id = "gpt-vault"
provider_id = "vaulted"
upstream_model = "gpt-4o-mini"
`,
  });
  client = new OpenAI({ apiKey: testToken, baseURL: `${gateway.httpBase}/v1`, maxRetries: 0 });
  vaultClient = new VaultServiceClient(gateway.grpcAddress, credentials.createInsecure());
});

afterAll(async () => {
  vaultClient?.close();
  await gateway?.stop();
  await upstream?.close();
});

const cliEnv = () => cleanEnv({ PALYRA_ADMIN_TOKEN: testToken });
const vaultCli = (args: string[], input?: string) =>
  runPalyra(["vault", ...args, "--addr", gateway.grpcAddress], { env: cliEnv(), cwd: gateway.stateDir, ...(input !== undefined && { input }) });

function adminMetadata(): Metadata {
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${testToken}`);
  return metadata;
}

function unary<Res>(invoke: (callback: (error: ServiceError | null, response: Res) => void) => unknown): Promise<Res> {
  return new Promise((resolve, reject) => invoke((error, response) => (error ? reject(error) : resolve(response))));
}

const chat = (text: string) => client.chat.completions.create({ model: "gpt-vault", messages: [{ role: "user", content: text }] });
const chatRequests = () => upstream.requests.filter((request) => request.path.startsWith("/v1/chat/completions"));

async function chatError(text: string): Promise<InstanceType<typeof OpenAI.APIError>> {
  const error = await chat(text).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(OpenAI.APIError);
  return error as InstanceType<typeof OpenAI.APIError>;
}

/** Every regular file under dir, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe("provider credentials from the vault", () => {
  it("fail with credential_missing, naming the reference, until the secret is put", async () => {
    const error = await chatError("before the secret");
    expect(error.status).toBe(401);
    expect(error.code).toBe("credential_missing");
    expect(error.message).toContain('"vault:openai/prod"');
    expect(chatRequests()).toHaveLength(0);
  });

  it("refuses an empty value from the CLI", async () => {
    const result = await vaultCli(["put", "openai/prod"], "\n");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("refusing to store an empty value for openai/prod");
    const nothing = await vaultCli(["put", "openai/prod"]);
    expect(nothing.code).toBe(1);
  });

  it("work once `palyra vault put` stores the key, read per request", async () => {
    const put = await vaultCli(["put", "openai/prod"], `${upstreamKey}\n`);
    expect(put.stderr).toBe("");
    expect(put.code).toBe(0);
    expect(put.stdout).toMatch(new RegExp(`^stored openai/prod \\(${upstreamKey.length} bytes, key [0-9a-f]{16}\\)\\n$`));
    expect(put.stdout).not.toContain(upstreamKey);

    const answer = await chat("after the secret");
    expect(answer.choices[0]?.message.content).toBe("echo: after the secret");
    // The trailing newline from stdin was dropped: the upstream got exactly the key.
    expect(chatRequests().at(-1)?.headers.authorization).toBe(`Bearer ${upstreamKey}`);
  });

  it("pick up a replaced secret without a restart", async () => {
    expect((await vaultCli(["put", "openai/prod"], wrongKey)).code).toBe(0);
    const error = await chatError("with the wrong key");
    expect(error.status).toBe(401);
    expect(error.message).not.toContain(wrongKey);
    expect(chatRequests().at(-1)?.headers.authorization).toBe(`Bearer ${wrongKey}`);

    expect((await vaultCli(["put", "openai/prod"], `${upstreamKey}\r\n`)).code).toBe(0);
    expect((await chat("fixed")).choices[0]?.message.content).toBe("echo: fixed");
  });
});

describe("VaultService", () => {
  it("puts over gRPC and answers with the description, never the value", async () => {
    const response = await unary<PutSecretResponse>((done) => vaultClient.putSecret({ name: "other/token", value: grpcValue }, adminMetadata(), done));
    expect(response.secret).toMatchObject({ name: "other/token", sizeBytes: grpcValue.length });
    expect(response.secret?.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(response.secret?.createdAt).toBeInstanceOf(Date);
    expect(JSON.stringify(response)).not.toContain(grpcValue);

    const listed = await unary<ListSecretsResponse>((done) => vaultClient.listSecrets({}, adminMetadata(), done));
    expect(listed.secrets.map((secret) => secret.name)).toEqual(["openai/prod", "other/token"]);
  });

  it("rejects bad names and callers without a token", async () => {
    const bad = await unary((done) => vaultClient.putSecret({ name: "has space", value: "x" }, adminMetadata(), done)).catch((e: ServiceError) => e);
    expect((bad as ServiceError).code).toBe(status.INVALID_ARGUMENT);
    expect((bad as ServiceError).details).toContain("name");
    const anonymous = await unary((done) => vaultClient.listSecrets({}, new Metadata(), done)).catch((e: ServiceError) => e);
    expect((anonymous as ServiceError).code).toBe(status.UNAUTHENTICATED);
  });

  it("lists through the CLI, as a table and as JSON, without values", async () => {
    const table = await vaultCli(["list"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^NAME\s+SIZE\s+KEY\s+UPDATED\s+CREATED\n/);
    expect(table.stdout).toContain("openai/prod");
    const json = await vaultCli(["list", "--json"]);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { secrets: { name: string; sizeBytes: number; keyId: string }[] };
    expect(parsed.secrets.map((secret) => [secret.name, secret.sizeBytes])).toEqual([
      ["openai/prod", upstreamKey.length],
      ["other/token", grpcValue.length],
    ]);
    for (const value of allValues) expect(table.stdout + json.stdout).not.toContain(value);
  });

  it("rotates the master key: every secret re-encrypted, the old key gone, chats still served", async () => {
    const keyFile = join(gateway.stateDir, vaultKeyFileName);
    const oldKeyId = readKeyFile(keyFile)?.active.id;
    const rotated = await vaultCli(["rotate-key", "--json"]);
    expect(rotated.code).toBe(0);
    const { reEncrypted, keyId } = JSON.parse(rotated.stdout) as { reEncrypted: number; keyId: string };
    expect(reEncrypted).toBe(2);
    expect(keyId).not.toBe(oldKeyId);
    expect([...(readKeyFile(keyFile)?.keys.keys() ?? [])]).toEqual([keyId]);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);

    const listed = await unary<ListSecretsResponse>((done) => vaultClient.listSecrets({}, adminMetadata(), done));
    expect(listed.secrets.map((secret) => secret.keyId)).toEqual([keyId, keyId]);
    expect((await chat("after rotation")).choices[0]?.message.content).toBe("echo: after rotation");

    const text = await vaultCli(["rotate-key"]);
    expect(text.stdout).toMatch(/^re-encrypted 2 secret\(s\) under key [0-9a-f]{16}\n$/);
  });

  it("deletes through the CLI; a deleted credential is missing again", async () => {
    const deleted = await vaultCli(["delete", "openai/prod"]);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toBe("deleted openai/prod\n");
    const again = await vaultCli(["delete", "openai/prod"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('holds no secret named "openai/prod"');
    const grpcDelete = await unary<DeleteSecretResponse>((done) => vaultClient.deleteSecret({ name: "openai/prod" }, adminMetadata(), done));
    expect(grpcDelete.deleted).toBe(false);

    expect((await chatError("after delete")).code).toBe("credential_missing");
  });

  it("never writes a value in plain text to the state directory or the database", async () => {
    const scan = () => {
      const files = filesUnder(gateway.stateDir);
      expect(files.some((file) => file.endsWith("palyra.sqlite"))).toBe(true);
      for (const file of files) {
        const bytes = readFileSync(file);
        for (const value of allValues) {
          expect(bytes.includes(value), `${value} in ${file}`).toBe(false);
          expect(bytes.includes(Buffer.from(value).toString("base64")), `base64 of ${value} in ${file}`).toBe(false);
        }
      }
    };
    scan();
    // Again once the daemon has stopped and SQLite has checkpointed its log into the database file.
    await gateway.stop();
    scan();
  });
});

describe("environment master keys", () => {
  it("refuses a malformed PALYRA_VAULT_KEY at start-up, naming the variable", async () => {
    const badKey = "not-a-key-at-all";
    const stateDir = mkdtempSync(join(tmpdir(), "palyra-vault-env-"));
    const result = await runPalyra(["daemon", "--grpc-bind", "127.0.0.1:0", "--http-bind", "127.0.0.1:0", "--state-dir", stateDir], {
      env: cleanEnv({ PALYRA_VAULT_KEY: badKey }),
      cwd: stateDir,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("PALYRA_VAULT_KEY must be a 32-byte key");
    expect(result.stderr).not.toContain(badKey);
  });

  it("refuses rotate-key with a key from the environment, saying how to rotate", async () => {
    const envGateway = await startTestGateway({ env: { PALYRA_VAULT_KEY: randomBytes(32).toString("base64") } });
    try {
      const result = await runPalyra(["vault", "rotate-key", "--addr", envGateway.grpcAddress], { env: cliEnv(), cwd: envGateway.stateDir });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("INVALID_ARGUMENT");
      expect(result.stderr).toContain("PALYRA_VAULT_KEY_PREVIOUS");
      expect(() => statSync(join(envGateway.stateDir, vaultKeyFileName))).toThrow();
    } finally {
      await envGateway.stop();
    }
  });
});
