import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGuardedOAuthFetch } from "../../src/identity/oauth/guarded-oauth-fetch.js";
import type { OAuthClientSettings } from "../../src/identity/oauth/oauth-settings.js";
import { tokenEndpointError } from "../../src/identity/oauth/token-client.js";
import type { GatewayError } from "../../src/shared/errors.js";
import { checkResolvedAddresses } from "../../src/shared/netguard/guarded-dispatcher.js";

const client: OAuthClientSettings = {
  name: "test",
  issuer: "https://auth.example.test",
  tokenEndpoint: "https://auth.example.test/token",
  clientId: "c",
  clientSecret: undefined,
  authMethod: "none",
};

/** Runs `fetch` and returns the GatewayError it fails with, as the token client would report it. */
async function failureOf(pending: Promise<unknown>): Promise<GatewayError> {
  try {
    await pending;
  } catch (error) {
    return tokenEndpointError(error, client, []);
  }
  throw new Error("expected the request to fail");
}

describe("guarded OAuth fetch", () => {
  let port = 0;
  const server = createServer((req, res) => {
    if (req.url === "/redirect") return void res.writeHead(302, { location: "http://127.0.0.1/elsewhere" }).end();
    res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
  });
  beforeAll(async () => {
    port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const resolvedTo = (address: string) => {
    const asked: string[] = [];
    const resolve = async (hostname: string) => {
      asked.push(hostname);
      return [{ address, family: address.includes(":") ? (6 as const) : (4 as const) }];
    };
    return { asked, resolve };
  };

  it("refuses a token endpoint that resolves to a private address, before connecting", async () => {
    const dns = resolvedTo("10.1.2.3");
    const { fetch } = createGuardedOAuthFetch({ resolve: dns.resolve });
    const failure = await failureOf(fetch("https://auth.internal.test/token", { method: "POST", headers: {} }));
    expect(dns.asked).toEqual(["auth.internal.test"]);
    expect(failure.code).toBe("address_blocked");
    expect(failure.message).toContain("10.1.2.3 (private)");
  });

  it("refuses plain http to a host that is not loopback", async () => {
    const dns = resolvedTo("127.0.0.1");
    const { fetch } = createGuardedOAuthFetch({ resolve: dns.resolve });
    const failure = await failureOf(fetch("http://auth.example.test/token", { method: "POST", headers: {} }));
    expect(failure.code).toBe("oauth_endpoint_blocked");
    expect(dns.asked).toEqual([]);
  });

  it("reaches a loopback token endpoint, and refuses its redirects", async () => {
    const dns = resolvedTo("127.0.0.1");
    const { fetch } = createGuardedOAuthFetch({ resolve: dns.resolve });
    const response = await fetch(`http://localhost:${port}/token`, { method: "POST", headers: {} });
    expect(await response.json()).toEqual({ ok: true });
    const failure = await failureOf(fetch(`http://localhost:${port}/redirect`, { method: "POST", headers: {} }));
    expect(failure.code).toBe("oauth_redirect");
  });
});

describe("checkResolvedAddresses with allowLoopback", () => {
  it.each([
    ["127.0.0.1", undefined],
    ["::1", undefined],
    ["8.8.8.8", undefined],
    ["192.168.1.10", "private"],
    ["169.254.169.254", "link_local"],
    ["fd00::1", "ula"],
    ["::ffff:10.0.0.1", "private"],
  ] as const)("%s -> %s", (address, blockedClass) => {
    expect(checkResolvedAddresses([{ address }], false, true)?.addressClass).toBe(blockedClass);
  });
});
