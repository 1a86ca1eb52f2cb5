import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, startFakeOpenAI } from "../fixtures/fake-openai-upstream.js";
import { cleanEnv, type PalyraProcess, runPalyra, startDaemon } from "./support/palyra-process.js";

// The whole daemon as a process: after secrets went in through every door (vault, API keys, an
// upstream that echoes its key in errors), none of them is readable in the state directory, the
// database or the daemon's own logs.

const upstreamKey = "sk-upstream-AT-REST-0123456789abcdef";
const adminToken = "admin-token-AT-REST-9876543210";
let upstream: FakeOpenAI;
let daemon: PalyraProcess;
let stateDir: string;
let grpc: string;
let http: string;
let clientKey = "";

const env = () => cleanEnv({ PALYRA_ADMIN_TOKEN: adminToken });
const cli = (args: string[], input?: string) => runPalyra([...args, "--addr", grpc], { cwd: stateDir, env: env(), ...(input !== undefined && { input }) });

beforeAll(async () => {
  upstream = await startFakeOpenAI({ apiKey: upstreamKey });
  stateDir = mkdtempSync(join(tmpdir(), "palyra-at-rest-"));
  const config = join(stateDir, "palyra.toml");
  writeFileSync(
    config,
    `version = 1
[model_provider]
# No background health checks (the first would come a minute after start): they would take faults
# queued for the tests' own requests, and add to what the fake upstreams recorded.
health_ttl_ms = 3600000

[[model_provider.providers]]
provider_id = "openai"
kind = "openai_compatible"
base_url = "${upstream.baseUrl}"
allow_private_base_url = true
api_key_vault_ref = "vault:openai-key"
max_retries = 0
[[model_provider.models]]
model_id = "gpt"
provider_id = "openai"
`,
  );
  const started = await startDaemon(["--config", config, "--state-dir", stateDir, "--grpc-bind", "127.0.0.1:0", "--http-bind", "127.0.0.1:0"], {
    cwd: stateDir,
    env: { ...env(), PALYRA__DAEMON__LOG_LEVEL: "debug" },
  });
  daemon = started.daemon;
  grpc = started.ready.grpc;
  http = started.ready.http;
}, 30_000);

afterAll(async () => {
  if (daemon?.running) daemon.child.kill("SIGKILL");
  await upstream?.close();
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe("secrets at rest", () => {
  it("are used but never stored or logged in plain text", async () => {
    expect((await cli(["vault", "put", "openai-key"], `${upstreamKey}\n`)).code).toBe(0);
    const created = await cli(["keys", "create", "--name", "app", "--scopes", "chat.create,models.read", "--json"]);
    expect(created.code).toBe(0);
    clientKey = JSON.parse(created.stdout).secret;
    expect(clientKey).toMatch(/^plk_/);

    const client = new OpenAI({ apiKey: clientKey, baseURL: `http://${http}/v1`, maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: "gpt", messages: [{ role: "user", content: "hello" }] });
    expect(answer.choices[0]?.message.content).toBe("echo: hello");
    expect(upstream.requests.at(-1)?.headers.authorization).toBe(`Bearer ${upstreamKey}`);

    // An upstream that repeats the key in its error text.
    upstream.enqueue({ kind: "status", status: 500, body: { error: { message: `bad key ${upstreamKey}` } } });
    const failure = await client.chat.completions.create({ model: "gpt", messages: [{ role: "user", content: "x" }] }).catch((e) => e);
    expect(failure.status).toBe(503);
    expect(failure.message).not.toContain(upstreamKey);

    // One that echoes the Authorization header base64-encoded (any alignment inside the blob), or URL-encoded.
    const echoed = Buffer.from(`Authorization: Bearer ${upstreamKey}`).toString("base64");
    upstream.enqueue({ kind: "status", status: 500, body: { error: { message: `we saw ${echoed} and ${encodeURIComponent(`${upstreamKey}/`)}` } } });
    const encodedFailure = await client.chat.completions.create({ model: "gpt", messages: [{ role: "user", content: "y" }] }).catch((e) => e);
    expect(encodedFailure.status).toBe(503);
    expect(encodedFailure.message).toContain("<redacted>");
    expect(encodedFailure.message).not.toContain(echoed.slice(16, 40));
    expect(encodedFailure.message).not.toContain(upstreamKey);

    daemon.child.kill("SIGTERM");
    expect((await daemon.exited).code).toBe(0);

    // "plk_<12 hex>_<43 base64url>": the secret part may itself hold "_", so it is cut by position.
    const clientSecret = clientKey.slice("plk_".length + 12 + 1);
    expect(clientSecret).toHaveLength(43);
    const secrets = [upstreamKey, clientKey, clientSecret];
    const encodings = (secret: string) => [secret, Buffer.from(secret).toString("base64"), Buffer.from(secret).toString("hex")];
    const logs = [...daemon.stdout.lines, ...daemon.stderr.lines].join("\n");
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      for (const form of encodings(secret)) expect(logs, "daemon logs").not.toContain(form);
      expect(logs).not.toContain(adminToken);
    }
    const files = filesUnder(stateDir).filter((file) => !file.endsWith("palyra.toml"));
    expect(files.some((file) => file.endsWith("palyra.sqlite"))).toBe(true);
    for (const file of files) {
      const bytes = readFileSync(file);
      for (const secret of secrets) {
        for (const form of encodings(secret)) expect(bytes.includes(form), `${file} holds a secret`).toBe(false);
      }
    }
  });
});
