import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import Database from "better-sqlite3";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DiagnosticsService } from "../../gen/es/palyra/gateway/v1/diagnostics_pb.js";
import { ModelsService } from "../../gen/es/palyra/gateway/v1/models_pb.js";
import { listConfigBackups } from "../../src/config/config-backups.js";
import { type FakeOpenAI, startFakeOpenAI } from "../fixtures/fake-openai-upstream.js";
import { startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";
import { cleanEnv, runPalyra } from "./support/palyra-process.js";

let upstream: FakeOpenAI;
let gateway: TestGateway;
let configFile: string;
const admin = { headers: { authorization: `Bearer ${testToken}` } };

/** The config the daemon starts on: a local model and one on the fake upstream, priced. */
function firstConfig(): string {
  return `# live config test: comments must survive palyra models set
version = 1

[daemon]
shutdown_grace_ms = 1000

[model_provider]
# No background health checks: they would take the behaviours queued for the tests' own requests.
health_ttl_ms = 3600000
default_chat_model_id = "palyra-echo"  # the usual
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
api_key = "sk-test-reload"

[[model_provider.models]]
model_id = "palyra-echo"
provider_id = "local"

[[model_provider.models]]
model_id = "fake-gpt"
provider_id = "fake"
upstream_model = "gpt-4o-mini"

[[usage.pricing]]
model_id = "fake-gpt"
per_request = 7
`;
}

/** The reloaded config: fake-gpt gone, fake-mini and fresh-echo new, a budget that caps one agent, a longer grace (restart only). */
function secondConfig(): string {
  return (
    firstConfig()
      .replace("shutdown_grace_ms = 1000", "shutdown_grace_ms = 2000")
      .replace(`model_id = "fake-gpt"`, `model_id = "fake-mini"`)
      // fake-gpt goes, and its price with it: a run that started on it still costs what it did then.
      .replace(`model_id = "fake-gpt"\nper_request = 7`, `model_id = "fake-mini"\nper_request = 11`)
      .concat(`
[[model_provider.models]]
model_id = "fresh-echo"
provider_id = "local"

[[usage.budgets]]
policy_id = "capped"
scope_kind = "agent"
scope_id = "capped"
metric_kind = "tokens"
interval_kind = "daily"
hard_limit_value = 1
`)
  );
}

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  gateway = await startTestGateway({ configToml: "version = 1\n" });
  // startTestGateway wrote the file; the daemon reads it again at every reload.
  configFile = join(gateway.stateDir, "test-config.toml");
  writeFileSync(configFile, firstConfig());
  await diagnostics().reloadConfig({}, admin);
});

afterAll(async () => {
  await gateway?.stop();
  await upstream?.close();
});

const diagnostics = () => createClient(DiagnosticsService, createGrpcTransport({ baseUrl: gateway.grpcBase }));
const models = () => createClient(ModelsService, createGrpcTransport({ baseUrl: gateway.grpcBase }));
const openai = (agentId = "tester") =>
  new OpenAI({ apiKey: testToken, baseURL: `${gateway.httpBase}/v1`, maxRetries: 0, defaultHeaders: { "x-palyra-agent-id": agentId } });

function heldRelease(): { release: () => void; held: Promise<void> } {
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { release, held };
}

/**
 * Starts a stream the fake upstream holds after its first piece, and returns once that piece arrived:
 * the run is in flight until `release` is called, however slow the machine.
 */
async function startHeldStream(model: string, agentId: string) {
  const { release, held } = heldRelease();
  upstream.enqueue({ kind: "held_stream", release: held });
  const stream = await openai(agentId).chat.completions.create({ model, stream: true, messages: [{ role: "user", content: "one two three four" }] });
  const chunks = stream[Symbol.asyncIterator]();
  let text = "";
  while (text === "") {
    const next = await chunks.next();
    if (next.done) throw new Error("the stream ended before its first piece");
    text += next.value.choices[0]?.delta.content ?? "";
  }
  return {
    release,
    rest: async () => {
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) text += next.value.choices[0]?.delta.content ?? "";
      return text;
    },
  };
}

function runsOf(agentId: string): Record<string, unknown>[] {
  const db = new Database(gateway.databaseFile, { readonly: true });
  try {
    return db.prepare("select status, model_id, provider_id from runs where agent_id = ? order by created_at").all(agentId) as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

function costsOf(agentId: string): number[] {
  const db = new Database(gateway.databaseFile, { readonly: true });
  try {
    return db
      .prepare("select cost_usd from runs where agent_id = ? order by created_at")
      .all(agentId)
      .map((row) => (row as { cost_usd: number }).cost_usd);
  } finally {
    db.close();
  }
}

describe("live config reload", () => {
  it("swaps models and budgets for new requests while a running stream finishes on the config it started with", async () => {
    const stream = await startHeldStream("fake-gpt", "in-flight");
    writeFileSync(configFile, secondConfig());
    const reloaded = await diagnostics().reloadConfig({}, admin);
    expect(reloaded).toMatchObject({
      source: configFile,
      changedSections: ["daemon", "model_provider", "usage"],
      restartRequired: ["daemon.shutdown_grace_ms"],
    });

    // New requests see the new registry and budgets at once...
    await expect(openai().chat.completions.create({ model: "fake-gpt", messages: [{ role: "user", content: "hi" }] })).rejects.toMatchObject({ status: 404 });
    const fresh = await openai().chat.completions.create({ model: "fresh-echo", messages: [{ role: "user", content: "hi" }] });
    expect(fresh.choices[0]?.message.content).toContain("hi");
    await expect(openai("capped").chat.completions.create({ model: "fresh-echo", messages: [{ role: "user", content: "hi" }] })).rejects.toMatchObject({
      code: "budget_exceeded",
    });

    // ...while the run admitted before ends normally on the model and provider it started with.
    stream.release();
    expect(await stream.rest()).toBe("echo: one two three four");
    expect(runsOf("in-flight")).toEqual([{ status: "succeeded", model_id: "fake-gpt", provider_id: "fake" }]);
    expect(costsOf("in-flight")).toEqual([7]);
    const effective = JSON.parse((await diagnostics().getEffectiveConfig({}, admin)).configJson);
    expect(effective.model_provider.models.map((model: { model_id: string }) => model.model_id)).toEqual(["palyra-echo", "fake-mini", "fresh-echo"]);
  });

  it("refuses an invalid file naming the key and the file, and keeps serving the config in force", async () => {
    writeFileSync(configFile, secondConfig());
    await diagnostics().reloadConfig({}, admin);
    const stream = await startHeldStream("fake-mini", "invalid-reload");
    writeFileSync(configFile, secondConfig().replace("failover_enabled = false", 'failover_enabled = false\ndefault_chat_model = "fresh-echo"'));
    const refused = await diagnostics()
      .reloadConfig({}, admin)
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ConnectError);
    expect((refused as ConnectError).code).toBe(Code.InvalidArgument);
    expect((refused as ConnectError).rawMessage).toContain(`${configFile}: model_provider.default_chat_model: unknown key`);

    writeFileSync(configFile, secondConfig().replace("version = 1", "version = 2"));
    const newer = await diagnostics()
      .reloadConfig({}, admin)
      .catch((error: unknown) => error);
    expect((newer as ConnectError).code).toBe(Code.InvalidArgument);
    expect((newer as ConnectError).rawMessage).toContain(`${configFile}: version: written for version 2; this palyra reads up to 1; upgrade`);

    stream.release();
    expect(await stream.rest()).toBe("echo: one two three four");
    expect(runsOf("invalid-reload")).toEqual([{ status: "succeeded", model_id: "fake-mini", provider_id: "fake" }]);
    const after = await openai().chat.completions.create({ model: "fake-mini", messages: [{ role: "user", content: "still here" }] });
    expect(after.choices[0]?.message.content).toContain("still here");
    expect((await models().getModelsStatus({}, admin)).defaults?.chatModelId).toBe("palyra-echo");
  });

  it("palyra models set writes the default into the daemon's file (backed up, comments kept) and the daemon serves it", async () => {
    const before = secondConfig();
    writeFileSync(configFile, before);
    await diagnostics().reloadConfig({}, admin);
    const env = cleanEnv({ PALYRA_ADMIN_TOKEN: testToken });
    const cli = (...args: string[]) => runPalyra([...args, "--addr", gateway.grpcAddress], { cwd: gateway.stateDir, env });

    const unknown = await cli("models", "set", "no-such-model");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`no model "no-such-model"`);
    const wrongRole = await cli("models", "set-embeddings", "fresh-echo");
    expect(wrongRole.stderr).toContain(`"fresh-echo" is a chat model, not an embeddings model`);
    expect(readFileSync(configFile, "utf8")).toBe(before);

    const set = await cli("models", "set", "fresh-echo");
    expect(set.stderr).toBe("");
    expect(set.code).toBe(0);
    expect(set.stdout).toContain(`set model_provider.default_chat_model_id = "fresh-echo" in ${configFile}`);
    expect(set.stdout).toContain("changed model_provider");
    expect(readFileSync(configFile, "utf8")).toBe(
      before.replace(`default_chat_model_id = "palyra-echo"  # the usual`, `default_chat_model_id = "fresh-echo"  # the usual`),
    );
    const [backup] = listConfigBackups(configFile);
    expect(backup && readFileSync(backup.path, "utf8")).toBe(before);

    expect((await models().getModelsStatus({}, admin)).defaults?.chatModelId).toBe("fresh-echo");
    const served = await openai().chat.completions.create({ model: "auto", messages: [{ role: "user", content: "who answers" }] });
    expect(served.model).toBe("fresh-echo");
  });

  it("palyra models connect checks connectivity and discovers in one step", async () => {
    const connected = await runPalyra(["models", "connect", "--provider", "fake", "--json", "--addr", gateway.grpcAddress], {
      cwd: gateway.stateDir,
      env: cleanEnv({ PALYRA_ADMIN_TOKEN: testToken }),
    });
    expect(connected.stderr).toBe("");
    expect(connected.code).toBe(0);
    const printed = JSON.parse(connected.stdout);
    expect(printed.connection.results).toEqual([expect.objectContaining({ providerId: "fake", status: "CONNECTION_STATUS_OK" })]);
    expect(printed.discovery.providers).toEqual([expect.objectContaining({ providerId: "fake", status: "CONNECTION_STATUS_OK" })]);
  });

  it("palyra config migrate says a current file is current", async () => {
    const migrate = await runPalyra(["config", "migrate", "--config", configFile], { cwd: gateway.stateDir, env: cleanEnv() });
    expect(migrate.stderr).toBe("");
    expect(migrate.stdout).toContain(`${configFile} is already current (version 1)`);
  });
});
