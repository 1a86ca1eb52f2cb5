import { Writable } from "node:stream";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import Database from "better-sqlite3";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthProfileService, ProfileHealthState, ProfileScope } from "../../gen/es/palyra/gateway/v1/auth_pb.js";
import { createLogger } from "../../src/shared/logger.js";
import { type FakeAnthropic, startFakeAnthropic } from "../fixtures/fake-anthropic-upstream.js";
import { type FakeOpenAI, startFakeOpenAI } from "../fixtures/fake-openai-upstream.js";
import { startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";
import { cleanEnv, runPalyra } from "./support/palyra-process.js";

const withToken = { headers: { authorization: `Bearer ${testToken}` } };
const goodKey = "good-key-0123456789";
const badKey = "bad-key-9876543210";

describe("API key profiles", () => {
  /** Accepts only goodKey: validation against it says yes or no. */
  let strict: FakeOpenAI;
  /** Accepts any key and records which one arrived. */
  let open: FakeOpenAI;
  let anthropic: FakeAnthropic;
  let gateway: TestGateway;
  let auth: Client<typeof AuthProfileService>;
  const logLines: string[] = [];

  beforeAll(async () => {
    [strict, open, anthropic] = await Promise.all([startFakeOpenAI({ apiKey: goodKey }), startFakeOpenAI(), startFakeAnthropic({ apiKey: goodKey })]);
    const provider = (id: string, kind: string, baseUrl: string, profileId: string) => `
[[model_provider.providers]]
provider_id = "${id}"
kind = "${kind}"
base_url = "${baseUrl}"
allow_private_base_url = true
auth_profile_id = "${profileId}"
max_retries = 0
`;
    gateway = await startTestGateway({
      configToml: `
version = 1
[model_provider]
# No background health checks (the first would come a minute after start): they would take faults
# queued for the tests' own requests, and add to what the fake upstreams recorded.
health_ttl_ms = 3600000
failover_enabled = false
${provider("strict", "openai_compatible", strict.baseUrl, "strict-key")}
${provider("open", "openai_compatible", open.baseUrl, "open-global")}
${provider("claude", "anthropic", anthropic.baseUrl, "claude-key")}
[[model_provider.models]]
model_id = "strict-chat"
provider_id = "strict"
upstream_model = "gpt-4o-mini"
[[model_provider.models]]
model_id = "open-chat"
provider_id = "open"
upstream_model = "gpt-4o-mini"
[[model_provider.models]]
model_id = "claude-chat"
provider_id = "claude"
upstream_model = "claude-sonnet-4-5"
`,
      logger: createLogger("debug", new Writable({ write: (chunk, _encoding, done) => void (logLines.push(String(chunk)), done()) }) as never),
    });
    auth = createClient(AuthProfileService, createGrpcTransport({ baseUrl: gateway.grpcBase }));
  });
  afterAll(async () => {
    await gateway?.stop();
    await Promise.all([strict?.close(), open?.close(), anthropic?.close()]);
  });

  const chat = (model: string, agentId?: string) =>
    new OpenAI({ apiKey: testToken, baseURL: `${gateway.httpBase}/v1`, maxRetries: 0 }).chat.completions.create(
      { model, messages: [{ role: "user", content: "hello" }] },
      agentId === undefined ? {} : { headers: { "x-palyra-agent-id": agentId } },
    );

  it("saves a key the provider accepts, checked against the bound provider's base URL", async () => {
    const response = await auth.connectApiKey({ profileId: "strict-key", providerKind: "openai_compatible", apiKey: goodKey }, withToken);
    expect(response.modelCount).toBe(4);
    expect(response.profile).toMatchObject({
      profileId: "strict-key",
      scope: ProfileScope.GLOBAL,
      baseUrl: strict.baseUrl,
      health: { state: ProfileHealthState.STATIC },
    });
    expect(response.profile?.credential.case).toBe("apiKey");
    expect(strict.requests.at(-1)).toMatchObject({ method: "GET", path: "/v1/models", headers: { authorization: `Bearer ${goodKey}` } });
    await chat("strict-chat");
    expect(strict.requests.at(-1)?.headers.authorization).toBe(`Bearer ${goodKey}`);
  });

  it("refuses a key the provider rejects, saying why without repeating the key", async () => {
    const failure = await auth
      .connectApiKey({ profileId: "rejected", providerKind: "openai_compatible", apiKey: badKey, baseUrl: strict.baseUrl }, withToken)
      .catch((error: unknown) => ConnectError.from(error));
    expect(failure).toBeInstanceOf(ConnectError);
    expect((failure as ConnectError).code).toBe(Code.InvalidArgument);
    expect((failure as ConnectError).rawMessage).toMatch(/refused the API key.*401.*Incorrect API key provided/);
    expect((failure as ConnectError).rawMessage).not.toContain(badKey);
    const missing = await auth.getProfile({ profileId: "rejected" }, withToken).catch((error: unknown) => ConnectError.from(error));
    expect((missing as ConnectError).code).toBe(Code.NotFound);
  });

  it("keeps the network guard on for base URLs no provider opted in for", async () => {
    const failure = await auth
      .connectApiKey({ profileId: "elsewhere", providerKind: "openai_compatible", apiKey: goodKey, baseUrl: `${strict.baseUrl}/other` }, withToken)
      .catch((error: unknown) => ConnectError.from(error));
    expect((failure as ConnectError).code).toBe(Code.InvalidArgument);
    expect((failure as ConnectError).rawMessage).toContain("127.0.0.1 (loopback)");
    expect((failure as ConnectError).rawMessage).toContain("allow_private_base_url = true has that base_url");
  });

  it("uses an agent's own profile for that agent's runs, and the global one otherwise", async () => {
    await auth.setProfile({ profile: { profileId: "open-global", providerKind: "openai" }, apiKey: "global-key" }, withToken);
    await auth.setProfile(
      { profile: { profileId: "agent-7-openai", providerKind: "openai", scope: ProfileScope.AGENT, agentId: "agent-7" }, apiKey: "agent-7-key" },
      withToken,
    );
    await chat("open-chat", "agent-7");
    expect(open.requests.at(-1)?.headers.authorization).toBe("Bearer agent-7-key");
    await chat("open-chat", "agent-8");
    expect(open.requests.at(-1)?.headers.authorization).toBe("Bearer global-key");
    await chat("open-chat");
    expect(open.requests.at(-1)?.headers.authorization).toBe("Bearer global-key");

    const listed = await auth.listProfiles({ agentId: "agent-7", includeGlobal: false }, withToken);
    expect(listed.profiles.map((profile) => profile.profileId)).toEqual(["agent-7-openai"]);
  });

  it("connects a key read from stdin with the CLI, for an Anthropic provider", async () => {
    const cli = (args: string[], input?: string) =>
      runPalyra([...args, "--addr", gateway.grpcAddress], {
        cwd: gateway.stateDir,
        env: cleanEnv({ PALYRA_ADMIN_TOKEN: testToken }),
        ...(input !== undefined && { input }),
      });
    const connected = await cli(
      ["auth", "connect-api-key", "--provider", "anthropic", "--profile-id", "claude-key", "--base-url", anthropic.baseUrl],
      `${goodKey}\n`,
    );
    expect(connected.stderr).toBe("");
    expect(connected.stdout).toMatch(/connected claude-key: the key lists \d+ model/);
    expect(connected.stdout).not.toContain(goodKey);
    await chat("claude-chat");
    expect(anthropic.requests.at(-1)?.headers["x-api-key"]).toBe(goodKey);

    const refused = await cli(["auth", "connect-api-key", "--provider", "anthropic", "--profile-id", "claude-bad", "--base-url", anthropic.baseUrl], badKey);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("refused the API key");
    expect(refused.stderr).not.toContain(badKey);

    const empty = await cli(["auth", "connect-api-key", "--provider", "openai", "--profile-id", "nothing"], "");
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain("no API key on stdin");

    const health = await cli(["auth", "health", "--json"]);
    const states = (JSON.parse(health.stdout) as { profiles: { profileId: string; health: { state: string } }[] }).profiles.map((profile) => [
      profile.profileId,
      profile.health.state,
    ]);
    expect(states).toContainEqual(["claude-key", "PROFILE_HEALTH_STATE_STATIC"]);
  });

  it("keeps keys out of the database and the logs", () => {
    const db = new Database(gateway.databaseFile, { readonly: true });
    try {
      const rows = JSON.stringify(db.prepare("SELECT * FROM auth_profiles").all());
      expect(rows).toContain("vault:auth-profile/");
      for (const key of [goodKey, badKey, "global-key", "agent-7-key"]) expect(rows).not.toContain(key);
    } finally {
      db.close();
    }
    const logs = logLines.join("");
    for (const key of [goodKey, badKey, "agent-7-key"]) expect(logs).not.toContain(key);
  });
});
