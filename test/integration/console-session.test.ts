import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../helpers/manual-clock.js";
import { startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";

// The console's session and CSRF rules, through the real daemon's HTTP port: what a browser would send,
// and what another site's page or a caller without a session would.

const ttlMs = 60_000;
const clock = new ManualClock();
let gateway: TestGateway;

beforeAll(async () => {
  gateway = await startTestGateway({ configToml: `version = 1\n[console]\nsession_ttl_ms = ${ttlMs}\n`, consoleClock: clock.now });
});

afterAll(async () => {
  await gateway?.stop();
});

async function signIn(): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const res = await fetch(`${gateway.httpBase}/console/v1/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token: testToken }),
  });
  expect(res.status).toBe(200);
  const setCookie = res.headers.get("set-cookie") ?? "";
  const body = (await res.json()) as { csrf_token: string };
  return { cookie: setCookie.split(";")[0] ?? "", csrf: body.csrf_token, setCookie };
}

function callRpc(procedure: string, headers: Record<string, string>, body: unknown = {}) {
  return fetch(`${gateway.httpBase}/console/v1/rpc/palyra.gateway.v1.${procedure}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

describe("console sessions", () => {
  it("signs in with the admin token only, for an HttpOnly SameSite=Strict cookie on /console", async () => {
    const { setCookie, csrf } = await signIn();
    expect(setCookie).toMatch(/^palyra_console=[\w-]{43};/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).toMatch(/Path=\/console/);
    expect(csrf).toMatch(/^[\w-]{43}$/);
    const wrong = await fetch(`${gateway.httpBase}/console/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"token":"nope"}',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
  });

  it("answers RPCs in protobuf JSON for a session with its CSRF token, and refuses without a cookie (401) or the token (403)", async () => {
    const { cookie, csrf } = await signIn();
    const ok = await callRpc("GatewayService/GetHealth", { cookie, "x-palyra-csrf": csrf });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ status: "ok", reasons: [] });
    expect((await callRpc("GatewayService/GetHealth", { "x-palyra-csrf": csrf })).status).toBe(401);
    expect((await callRpc("GatewayService/GetHealth", { cookie })).status).toBe(403);
    const wrongCsrf = await callRpc("GatewayService/GetHealth", {
      cookie,
      "x-palyra-csrf": `${csrf.slice(0, -1)}A` === csrf ? `${csrf.slice(0, -1)}B` : `${csrf.slice(0, -1)}A`,
    });
    expect(wrongCsrf.status).toBe(403);
    expect(((await wrongCsrf.json()) as { error: { code: string } }).error.code).toBe("csrf_mismatch");
    // Another site's page: its Origin is not the host addressed, whatever it sends.
    const crossSite = await callRpc("GatewayService/GetHealth", { cookie, "x-palyra-csrf": csrf, origin: "http://evil.example" });
    expect(crossSite.status).toBe(403);
    expect(((await crossSite.json()) as { error: { code: string } }).error.code).toBe("cross_origin");
  });

  it("calls only the allow-listed procedures, maps errors through the error table and refuses bad JSON and big bodies", async () => {
    const { cookie, csrf } = await signIn();
    const headers = { cookie, "x-palyra-csrf": csrf };
    expect((await callRpc("VaultService/ListSecrets", headers)).status).toBe(404);
    const notFound = await callRpc("ApiKeysService/RevokeApiKey", headers, { keyId: "no-such-key" });
    expect(notFound.status).toBe(404);
    const badJson = await callRpc("GatewayService/GetHealth", headers, { unknownField: 1 });
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { error: { message: string } }).error.message).toMatch(/GetHealthRequest/);
    const big = await callRpc("ModelsService/ExplainRouting", headers, { run: { model: "x".repeat(100_000) } });
    expect(big.status).toBe(413);
  });

  it("ends a session at its TTL on the injected clock, and at sign-out", async () => {
    const { cookie, csrf } = await signIn();
    clock.advance(ttlMs - 1);
    expect((await fetch(`${gateway.httpBase}/console/v1/session`, { headers: { cookie } })).status).toBe(200);
    clock.advance(1);
    expect((await fetch(`${gateway.httpBase}/console/v1/session`, { headers: { cookie } })).status).toBe(401);
    expect((await callRpc("GatewayService/GetHealth", { cookie, "x-palyra-csrf": csrf })).status).toBe(401);

    const second = await signIn();
    const out = await fetch(`${gateway.httpBase}/console/v1/session`, { method: "DELETE", headers: { cookie: second.cookie, "x-palyra-csrf": second.csrf } });
    expect(out.status).toBe(204);
    expect((await callRpc("GatewayService/GetHealth", { cookie: second.cookie, "x-palyra-csrf": second.csrf })).status).toBe(401);
  });

  it("serves GET /console/v1/diagnostics as proto JSON for the admin bearer token or a session, and nobody else", async () => {
    const bearer = await fetch(`${gateway.httpBase}/console/v1/diagnostics`, { headers: { authorization: `Bearer ${testToken}` } });
    expect(bearer.status).toBe(200);
    const snapshot = (await bearer.json()) as Record<string, unknown>;
    expect(snapshot).toHaveProperty("version");
    expect(snapshot).toHaveProperty("uptimeSeconds");
    expect((await fetch(`${gateway.httpBase}/console/v1/diagnostics`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    expect((await fetch(`${gateway.httpBase}/console/v1/diagnostics`)).status).toBe(401);
    const { cookie } = await signIn();
    const viaSession = await fetch(`${gateway.httpBase}/console/v1/diagnostics`, { headers: { cookie } });
    expect(viaSession.status).toBe(200);
    expect(await viaSession.json()).toHaveProperty("version", snapshot.version);
  });

  it("serves the page and the vendor modules from the package, with a strict Content-Security-Policy", async () => {
    const page = await fetch(`${gateway.httpBase}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toMatch(/script-src 'self' 'sha256-[\w+/=]+'/);
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(await page.text()).toContain('"preact":"/console/vendor/preact.mjs"');
    for (const file of [
      "vendor/preact.mjs",
      "vendor/preact-hooks.mjs",
      "vendor/htm.mjs",
      "vendor/uplot.mjs",
      "vendor/uplot.css",
      "app.js",
      "pages/overview.js",
    ]) {
      const res = await fetch(`${gateway.httpBase}/console/${file}`);
      expect(res.status, file).toBe(200);
      expect(res.headers.get("content-type"), file).toMatch(file.endsWith(".css") ? /text\/css/ : /javascript/);
    }
    expect((await fetch(`${gateway.httpBase}/console/%2e%2e/package.json`)).status).toBe(404);
    expect((await fetch(`${gateway.httpBase}/console`, { redirect: "manual" })).headers.get("location")).toBe("/console/");
  });
});

describe("a disabled console", () => {
  it("answers 404 at /console and its routes", async () => {
    const disabled = await startTestGateway({ configToml: "version = 1\n[console]\nenabled = false\n" });
    try {
      expect((await fetch(`${disabled.httpBase}/console/`)).status).toBe(404);
      const signIn = await fetch(`${disabled.httpBase}/console/v1/session`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ token: testToken }),
      });
      expect(signIn.status).toBe(404);
    } finally {
      await disabled.stop();
    }
  });
});
