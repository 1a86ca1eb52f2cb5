import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthProfile, AuthProfileService, ProfileHealthState } from "../../gen/es/palyra/gateway/v1/auth_pb.js";
import { createLogger } from "../../src/shared/logger.js";
import { type FakeOpenAI, startFakeOpenAI } from "../fixtures/fake-openai-upstream.js";
import { startOAuthServer, type TestOAuthServer } from "../fixtures/oauth-server.js";
import { startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";
import { cleanEnv, runPalyra } from "./support/palyra-process.js";

const withToken = { headers: { authorization: `Bearer ${testToken}` } };

function gatewayConfig(server: TestOAuthServer, upstream: FakeOpenAI, auth: string): string {
  return `
version = 1

[auth]
${auth}

[auth.oauth.test]
authorization_endpoint = "${server.authorizationEndpoint}"
token_endpoint = "${server.tokenEndpoint}"
client_id = "${server.clientId}"
scopes = ["api"]

[model_provider]
# No background health checks (the first would come a minute after start): they would take faults
# queued for the tests' own requests, and add to what the fake upstreams recorded.
health_ttl_ms = 3600000

[[model_provider.providers]]
provider_id = "oauth-upstream"
kind = "openai_compatible"
base_url = "${upstream.baseUrl}"
allow_private_base_url = true
auth_profile_id = "oauth-login"
max_retries = 0

[[model_provider.models]]
model_id = "oauth-chat"
provider_id = "oauth-upstream"
upstream_model = "gpt-4o-mini"
`;
}

/** Everything the daemon logs, to be searched for secrets. */
function captureLogs() {
  const lines: string[] = [];
  const logger = createLogger("debug", new Writable({ write: (chunk, _encoding, done) => void (lines.push(String(chunk)), done()) }) as never);
  return { lines, logger };
}

function oauthOf(profile: AuthProfile | undefined) {
  if (profile?.credential.case !== "oauth") throw new Error(`expected an OAuth profile, got ${profile?.credential.case}`);
  return profile.credential.value;
}

/**
 * Polls (without sleeping on a fixed schedule) until `check` passes or the limit runs out. The limit
 * only ends a wait that would otherwise hang, so it is far above what the slowest machine needs.
 */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, what: string, limitMs = 60_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("OAuth login with PKCE against a real authorization server", () => {
  let server: TestOAuthServer;
  let upstream: FakeOpenAI;
  let gateway: TestGateway;
  let auth: Client<typeof AuthProfileService>;
  const logs = captureLogs();
  /** Codes and states seen in this test, to look for in the logs at the end. */
  const seen: string[] = [];

  beforeAll(async () => {
    // Ten minutes: these tests count the tokens issued, so the one from the login must not come near
    // expiry (and be refreshed on use) however slowly they run; it is still in the "expiring" band.
    server = await startOAuthServer({ accessTokenTtlSeconds: 600 });
    upstream = await startFakeOpenAI();
    // The loop stays out of the way here; RefreshProfile drives the refreshes.
    gateway = await startTestGateway({ configToml: gatewayConfig(server, upstream, "refresh_check_interval_ms = 3600000"), logger: logs.logger });
    auth = createClient(AuthProfileService, createGrpcTransport({ baseUrl: gateway.grpcBase }));
  });
  afterAll(async () => {
    await gateway?.stop();
    await Promise.all([server?.close(), upstream?.close()]);
  });

  const chat = () =>
    new OpenAI({ apiKey: testToken, baseURL: `${gateway.httpBase}/v1`, maxRetries: 0 }).chat.completions.create({
      model: "oauth-chat",
      messages: [{ role: "user", content: "hello" }],
    });

  it("logs in through the daemon's callback; the server checks the PKCE verifier", async () => {
    const started = await auth.startOAuth({ oauthProvider: "test", profileId: "oauth-login", providerKind: "openai" }, withToken);
    seen.push(started.state);
    const authorize = new URL(started.authorizeUrl);
    expect(authorize.searchParams.get("redirect_uri")).toBe(`${gateway.httpBase}/oauth/callback`);
    expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");

    const callback = await server.login(started.authorizeUrl);
    expect(`${callback.origin}${callback.pathname}`).toBe(`${gateway.httpBase}/oauth/callback`);
    const code = callback.searchParams.get("code") ?? "";
    seen.push(code);
    // A verifier other than the login's is refused for this code (and the code stays usable).
    const tampered = await server.tokenRequest({
      grant_type: "authorization_code",
      code,
      redirect_uri: authorize.searchParams.get("redirect_uri") ?? "",
      code_verifier: randomBytes(32).toString("base64url"),
    });
    expect(tampered).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    expect(server.issued).toHaveLength(0);

    const page = await fetch(callback);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain("Login complete");
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    expect(html).not.toContain(code);
    expect(server.issued).toHaveLength(1);

    const { profile } = await auth.getProfile({ profileId: "oauth-login" }, withToken);
    const oauth = oauthOf(profile);
    expect(oauth).toMatchObject({ oauthProvider: "test", clientId: server.clientId, tokenEndpoint: server.tokenEndpoint, scopes: ["api"] });
    expect(oauth.accessTokenVaultRef).toMatch(/^vault:auth-profile\/oauth-login\//);
    expect(oauth.refreshTokenVaultRef).toMatch(/^vault:auth-profile\/oauth-login\//);
    // A 10-minute token is inside the 15-minute "expiring" band from the start.
    expect(profile?.health?.state).toBe(ProfileHealthState.EXPIRING);

    const replay = await fetch(callback);
    const replayed = await replay.text();
    expect(replay.status).toBe(400);
    expect(replayed).toContain("already used");
    expect(replayed).not.toContain(code);
    expect(replayed).not.toContain(started.state);
  });

  it("sends the profile's current access token upstream", async () => {
    await chat();
    expect(upstream.requests.at(-1)?.headers.authorization).toBe(`Bearer ${server.issued.at(-1)?.access_token}`);
  });

  it("refreshes on RefreshProfile, saving the rotated refresh token; the old one is then refused", async () => {
    const before = server.issued.at(-1);
    const { profile: old } = await auth.getProfile({ profileId: "oauth-login" }, withToken);
    const { profile } = await auth.refreshProfile({ profileId: "oauth-login" }, withToken);
    expect(server.issued).toHaveLength(2);
    const after = server.issued.at(-1);
    expect(after?.refresh_token).toBeDefined();
    expect(after?.refresh_token).not.toBe(before?.refresh_token);
    expect(oauthOf(profile).refreshTokenVaultRef).not.toBe(oauthOf(old).refreshTokenVaultRef);
    expect(oauthOf(profile).lastRefreshedAt).toBeDefined();

    await chat();
    expect(upstream.requests.at(-1)?.headers.authorization).toBe(`Bearer ${after?.access_token}`);

    const reuse = await server.tokenRequest({ grant_type: "refresh_token", refresh_token: before?.refresh_token ?? "" });
    expect(reuse).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
  });

  it("reports a refused refresh as refresh_failed, with the server's reason", async () => {
    // Reusing a rotated refresh token (previous test) makes the server revoke the whole grant.
    const failure = await auth.refreshProfile({ profileId: "oauth-login" }, withToken).catch((error: unknown) => ConnectError.from(error));
    expect(failure).toBeInstanceOf(ConnectError);
    expect((failure as ConnectError).code).toBe(Code.FailedPrecondition);
    expect((failure as ConnectError).rawMessage).toContain("invalid_grant");
    const { profile } = await auth.getProfile({ profileId: "oauth-login" }, withToken);
    expect(profile?.health?.state).toBe(ProfileHealthState.REFRESH_FAILED);
    expect(oauthOf(profile)).toMatchObject({ refreshFailures: 1, lastRefreshError: expect.stringContaining("invalid_grant") });
  });

  it("fails a login whose code goes with another login's verifier", async () => {
    const first = await auth.startOAuth({ oauthProvider: "test", profileId: "swap-a" }, withToken);
    const second = await auth.startOAuth({ oauthProvider: "test", profileId: "swap-b" }, withToken);
    seen.push(first.state, second.state);
    const code = (await server.login(first.authorizeUrl)).searchParams.get("code") ?? "";
    seen.push(code);
    const swapped = await auth.completeOAuth({ state: second.state, code }).catch((error: unknown) => ConnectError.from(error));
    expect(swapped).toBeInstanceOf(ConnectError);
    expect((swapped as ConnectError).rawMessage).toContain("invalid_grant");
    expect((swapped as ConnectError).rawMessage).not.toContain(code);
    // The server refused before spending the code: with its own login's verifier it still works.
    const { profile } = await auth.completeOAuth({ state: first.state, code });
    expect(profile?.profileId).toBe("swap-a");
  });

  it("needs the admin token for everything but CompleteOAuth", async () => {
    const refused = await auth.startOAuth({ oauthProvider: "test", profileId: "x" }).catch((error: unknown) => ConnectError.from(error));
    expect((refused as ConnectError).code).toBe(Code.Unauthenticated);
    const unknown = await auth.completeOAuth({ state: "made-up", code: "made-up" }).catch((error: unknown) => ConnectError.from(error));
    expect((unknown as ConnectError).code).toBe(Code.InvalidArgument);
  });

  it("answers the callback's error cases with a page, not a crash", async () => {
    const denied = await fetch(`${gateway.httpBase}/oauth/callback?error=access_denied&state=s`);
    expect(denied.status).toBe(400);
    expect(await denied.text()).toContain("access_denied");
    const incomplete = await fetch(`${gateway.httpBase}/oauth/callback?state=s`);
    expect(incomplete.status).toBe(400);
    expect(await incomplete.text()).toContain("needs both a code and a state");
  });

  it("logs no token, code or state", () => {
    const text = logs.lines.join("");
    expect(text).toContain('"msg":"ready"');
    const secrets = [...seen, ...server.issued.flatMap((tokens) => [tokens.access_token, tokens.refresh_token ?? ""])].filter(Boolean);
    expect(secrets.length).toBeGreaterThan(6);
    for (const secret of secrets) expect(text).not.toContain(secret);
  });
});

describe("background refresh", () => {
  let server: TestOAuthServer;
  let upstream: FakeOpenAI;
  let gateway: TestGateway;
  let auth: Client<typeof AuthProfileService>;
  const logs = captureLogs();
  const cli = (args: string[]) =>
    runPalyra([...args, "--addr", gateway.grpcAddress], { cwd: gateway.stateDir, env: cleanEnv({ PALYRA_ADMIN_TOKEN: testToken }) });
  const profileOf = async (profileId: string) => (await auth.getProfile({ profileId }, withToken)).profile;

  beforeAll(async () => {
    server = await startOAuthServer({ accessTokenTtlSeconds: 120 });
    upstream = await startFakeOpenAI();
    gateway = await startTestGateway({
      configToml: gatewayConfig(server, upstream, "refresh_check_interval_ms = 50\nrefresh_backoff_initial_ms = 300\nrefresh_backoff_max_ms = 5000"),
      logger: logs.logger,
    });
    auth = createClient(AuthProfileService, createGrpcTransport({ baseUrl: gateway.grpcBase }));
  });
  afterAll(async () => {
    await gateway?.stop();
    await Promise.all([server?.close(), upstream?.close()]);
  });

  it("logs in from the CLI (headless), then refreshes before expiry, backing off while the token endpoint fails", async () => {
    const start = await cli(["auth", "oauth", "start", "--oauth-provider", "test", "--profile-id", "oauth-login", "--provider-kind", "openai", "--json"]);
    expect(start.code).toBe(0);
    const started = JSON.parse(start.stdout) as { authorizeUrl: string; state: string; expiresAt: string };
    const code = (await server.login(started.authorizeUrl)).searchParams.get("code") ?? "";
    const complete = await cli(["auth", "oauth", "complete", "--state", started.state, "--code", code]);
    expect(complete.stderr).toBe("");
    expect(complete.stdout).toContain("login complete");
    expect(complete.stdout).not.toContain(code);
    const loggedInAt = Date.now();

    // The 2-minute token is due at once: the loop refreshes it, long before it expires.
    await eventually(
      async () => server.issued.length,
      (count) => count >= 2,
      "a background refresh",
    );
    const refreshed = oauthOf(await profileOf("oauth-login"));
    expect(refreshed.refreshFailures).toBe(0);
    expect(Number(refreshed.expiresAt?.seconds) * 1000).toBeGreaterThan(loggedInAt + 60_000);

    // The token endpoint fails three times: each failure doubles the wait before the next try.
    server.failTokenRequests(3);
    const armedAt = server.tokenRequestTimes.length;
    const failing = await eventually(
      () => profileOf("oauth-login"),
      (profile) => oauthOf(profile).refreshFailures >= 1,
      "a recorded failure",
    );
    expect(failing?.health?.state).toBe(ProfileHealthState.REFRESH_FAILED);
    expect(oauthOf(failing).lastRefreshError).toContain("503");
    const recovered = await eventually(
      () => profileOf("oauth-login"),
      (profile) => server.tokenRequestTimes.length >= armedAt + 4 && oauthOf(profile).refreshFailures === 0,
      "recovery after the failures",
    );
    expect(recovered?.health?.state).toBe(ProfileHealthState.EXPIRING);
    const issuedAtRecovery = server.issued.length;
    const times = server.tokenRequestTimes.slice(armedAt, armedAt + 4);
    const gaps = times.slice(1).map((time, index) => time - (times[index] ?? 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(300);
    expect(gaps[1]).toBeGreaterThanOrEqual(600);
    expect(gaps[2]).toBeGreaterThanOrEqual(1200);

    // Whatever the loop did meanwhile, the upstream gets the newest access token.
    await new OpenAI({ apiKey: testToken, baseURL: `${gateway.httpBase}/v1`, maxRetries: 0 }).chat.completions.create({
      model: "oauth-chat",
      messages: [{ role: "user", content: "hello" }],
    });
    const sent = upstream.requests.at(-1)?.headers.authorization;
    const sentIndex = server.issued.findIndex((tokens) => `Bearer ${tokens.access_token}` === sent);
    expect(sentIndex).toBeGreaterThanOrEqual(issuedAtRecovery - 1);
  });

  it("lists, checks, refreshes and removes profiles from the CLI", async () => {
    const list = await cli(["auth", "list", "--json"]);
    expect(list.code).toBe(0);
    const listed = JSON.parse(list.stdout) as { profiles: { profileId: string; oauth?: { oauthProvider: string } }[] };
    expect(listed.profiles.map((profile) => profile.profileId)).toEqual(["oauth-login"]);
    expect(listed.profiles[0]?.oauth?.oauthProvider).toBe("test");

    const health = await cli(["auth", "health"]);
    expect(health.code).toBe(0);
    expect(health.stdout).toMatch(/oauth-login\s+openai\s+global\s+oauth \(test\)\s+expiring/);

    const refresh = await cli(["auth", "refresh", "oauth-login"]);
    expect(refresh.stdout).toContain("refreshed oauth-login");

    const removed = await cli(["auth", "remove", "oauth-login"]);
    expect(removed.stdout).toContain("removed oauth-login");
    const again = await cli(["auth", "remove", "oauth-login"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('there is no auth profile "oauth-login"');

    // With the profile gone, the bound provider says what is missing.
    const failed = await new OpenAI({ apiKey: testToken, baseURL: `${gateway.httpBase}/v1`, maxRetries: 0 }).chat.completions
      .create({ model: "oauth-chat", messages: [{ role: "user", content: "hello" }] })
      .catch((error: unknown) => error as Error);
    expect(String((failed as Error).message)).toContain('auth_profile_id "oauth-login" names no auth profile');
  });

  it("logs no token", () => {
    const text = logs.lines.join("");
    for (const tokens of server.issued) {
      expect(text).not.toContain(tokens.access_token);
      if (tokens.refresh_token) expect(text).not.toContain(tokens.refresh_token);
    }
  });
});
