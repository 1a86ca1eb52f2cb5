import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import tls from "node:tls";
import type { Dispatcher } from "undici";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { readUpstreamText, upstreamRequest } from "../../src/providers/upstream-request.js";
import { GatewayError } from "../../src/shared/errors.js";
import { classifyAddress } from "../../src/shared/netguard/address-class.js";
import {
  checkResolvedAddresses,
  createGuardedDispatcher,
  type GuardedDispatcherOptions,
  type ResolvedAddress,
} from "../../src/shared/netguard/guarded-dispatcher.js";

// The connect path with an injected resolver: names under .example.test never reach DNS, and the
// only sockets ever opened go to the loopback server below (DESIGN.md §7). net.connect and
// tls.connect are wrapped to record every attempt and to refuse, without opening anything, any
// address that is not loopback, so even a broken guard could not send traffic elsewhere.

const answers: Record<string, string[]> = {
  "internal.example.test": ["10.1.2.3"],
  "metadata.example.test": ["169.254.169.254"],
  "mixed.example.test": ["93.184.215.14", "10.0.0.5"],
  "mapped.example.test": ["::ffff:127.0.0.1"],
  "upstream.example.test": ["127.0.0.1"],
};
const injectedResolver = vi.fn(async (hostname: string): Promise<ResolvedAddress[]> => {
  const found = answers[hostname];
  if (found === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
  return found.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
});

let socketAttempts: string[] = [];
let server: Server;
let port: number;
let hostHeaders: (string | undefined)[] = [];
const dispatchers: Dispatcher[] = [];

function recordAndRefuse(original: (...args: never[]) => unknown) {
  return (...args: unknown[]) => {
    const options = (typeof args[0] === "object" && args[0] !== null ? args[0] : {}) as { host?: string };
    const host = options.host ?? (typeof args[1] === "string" ? args[1] : "localhost");
    socketAttempts.push(host);
    const kind = classifyAddress(host);
    if (kind !== "loopback") throw new Error(`test guard: refused to open a socket to ${host} (${kind})`);
    return original(...(args as never[]));
  };
}

beforeAll(async () => {
  const [netConnect, tlsConnect] = [net.connect, tls.connect];
  vi.spyOn(net, "connect").mockImplementation(recordAndRefuse(netConnect as never) as never);
  vi.spyOn(tls, "connect").mockImplementation(recordAndRefuse(tlsConnect as never) as never);
  server = createServer((req, res) => {
    hostHeaders.push(req.headers.host);
    // One connection per request, so each request resolves and is checked anew.
    res.setHeader("connection", "close");
    res.end("ok");
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  vi.restoreAllMocks();
  await Promise.all(dispatchers.map((dispatcher) => dispatcher.destroy()));
  server.close();
});

beforeEach(() => {
  socketAttempts = [];
  hostHeaders = [];
  injectedResolver.mockClear();
});

afterEach(() => {
  // Whatever the test, nothing but loopback was ever asked for.
  for (const host of socketAttempts) expect(classifyAddress(host)).toBe("loopback");
});

function dispatcher(options: Partial<GuardedDispatcherOptions> = {}): Dispatcher {
  const created = createGuardedDispatcher({
    allowPrivate: false,
    providerId: "guarded",
    connectTimeoutMs: 2_000,
    idleTimeoutMs: 5_000,
    resolve: injectedResolver,
    ...options,
  });
  dispatchers.push(created);
  return created;
}

async function send(url: string, using: Dispatcher): Promise<string> {
  const upstream = await upstreamRequest(
    { method: "GET", url, headers: {}, signal: new AbortController().signal, timeoutMs: 10_000, dispatcher: using },
    "guarded",
  );
  return readUpstreamText(upstream, "guarded");
}

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

describe("checkResolvedAddresses", () => {
  it("allows a host whose every address is public", () => {
    expect(checkResolvedAddresses([{ address: "93.184.215.14" }, { address: "2606:4700:4700::1111" }], false)).toBeUndefined();
  });

  it("blocks a host when any one of its addresses is not public", () => {
    expect(checkResolvedAddresses([{ address: "93.184.215.14" }, { address: "10.0.0.5" }], false)).toEqual({ address: "10.0.0.5", addressClass: "private" });
    expect(checkResolvedAddresses([{ address: "169.254.169.254" }], false)).toEqual({ address: "169.254.169.254", addressClass: "link_local" });
    expect(checkResolvedAddresses([{ address: "::ffff:127.0.0.1" }], false)).toEqual({ address: "::ffff:127.0.0.1", addressClass: "loopback" });
    expect(checkResolvedAddresses([{ address: "fd00::1" }], false)).toEqual({ address: "fd00::1", addressClass: "ula" });
  });

  it("allows special ranges when the provider opts in", () => {
    expect(checkResolvedAddresses([{ address: "10.0.0.5" }, { address: "127.0.0.1" }, { address: "169.254.169.254" }], true)).toBeUndefined();
  });

  it("never allows something that is not an address", () => {
    expect(checkResolvedAddresses([{ address: "not-an-ip" }], true)).toEqual({ address: "not-an-ip", addressClass: "invalid" });
  });
});

describe("createGuardedDispatcher", () => {
  it.each([
    ["internal.example.test", "10.1.2.3 (private)"],
    ["metadata.example.test", "169.254.169.254 (link_local)"],
    ["mixed.example.test", "10.0.0.5 (private)"],
    ["mapped.example.test", "::ffff:127.0.0.1 (loopback)"],
  ])("refuses %s before opening any socket", async (host, resolvedTo) => {
    const error = await failure(send(`http://${host}:${port}/v1/models`, dispatcher()));
    expect(error).toMatchObject({ kind: "permanent", code: "address_blocked" });
    expect(error.message).toBe(
      `provider "guarded": upstream host "${host}" resolves to ${resolvedTo}; set allow_private_base_url = true on the provider to allow it`,
    );
    expect(injectedResolver).toHaveBeenCalledWith(host);
    expect(socketAttempts).toEqual([]);
    expect(hostHeaders).toEqual([]);
  });

  it.each([
    ["http://127.0.0.1:PORT/", "127.0.0.1 (loopback)"],
    ["http://[::1]:PORT/", "::1 (loopback)"],
    ["http://[::ffff:127.0.0.1]:PORT/", "::ffff:7f00:1 (loopback)"],
    ["http://10.1.2.3:PORT/", "10.1.2.3 (private)"],
    ["https://169.254.169.254:PORT/", "169.254.169.254 (link_local)"],
  ])("checks an IP literal itself, without resolving it: %s", async (url, resolvedTo) => {
    const error = await failure(send(url.replace("PORT", String(port)), dispatcher()));
    expect(error).toMatchObject({ code: "address_blocked" });
    expect(error.message).toContain(`resolves to ${resolvedTo}`);
    expect(injectedResolver).not.toHaveBeenCalled();
    expect(socketAttempts).toEqual([]);
  });

  it("connects to the checked address, not the name, and keeps the name for the Host header", async () => {
    const guarded = dispatcher({ allowPrivate: true });
    expect(await send(`http://upstream.example.test:${port}/v1/models`, guarded)).toBe("ok");
    expect(socketAttempts).toEqual(["127.0.0.1"]);
    expect(hostHeaders).toEqual([`upstream.example.test:${port}`]);
  });

  it("resolves and checks again for every connection, and connects to the address it checked", async () => {
    const answersInTurn = vi
      .fn<(hostname: string) => Promise<ResolvedAddress[]>>()
      .mockResolvedValueOnce([{ address: "127.0.0.1", family: 4 }])
      .mockResolvedValueOnce([{ address: "127.0.0.2", family: 4 }]);
    const guarded = createGuardedDispatcher({
      allowPrivate: true,
      providerId: "guarded",
      connectTimeoutMs: 2_000,
      idleTimeoutMs: 5_000,
      resolve: answersInTurn,
    });
    dispatchers.push(guarded);
    expect(await send(`http://turns.example.test:${port}/`, guarded)).toBe("ok");
    // The fake listens on 127.0.0.1 only, so the second answer is refused by the kernel: proof that
    // the connection went to the freshly checked address, not a cached one or the name.
    const refused = await failure(send(`http://turns.example.test:${port}/`, guarded));
    expect(refused).toMatchObject({ kind: "network" });
    expect(socketAttempts).toEqual(["127.0.0.1", "127.0.0.2"]);
  });

  it("fails a name that resolves to nothing as a network error", async () => {
    const error = await failure(send(`http://unknown.example.test:${port}/`, dispatcher()));
    expect(error).toMatchObject({ kind: "network", code: "upstream_network" });
    expect(socketAttempts).toEqual([]);
  });

  it("counts resolving against the connect time limit", async () => {
    const guarded = dispatcher({ connectTimeoutMs: 50, resolve: () => new Promise<never>(() => {}) });
    const error = await failure(send(`http://slow-dns.example.test:${port}/`, guarded));
    expect(error).toMatchObject({ kind: "timeout", code: "upstream_timeout" });
    expect(socketAttempts).toEqual([]);
  });
});

describe("idle time limits", () => {
  let stalling: Server;
  let stallingPort: number;

  beforeAll(async () => {
    stalling = createServer((req, res) => {
      if (req.url === "/stall-body") {
        res.writeHead(200, { "content-type": "text/plain" });
        res.write("first piece");
      }
      // Otherwise no answer at all: the headers never come.
    });
    stalling.listen(0, "127.0.0.1");
    await once(stalling, "listening");
    stallingPort = (stalling.address() as AddressInfo).port;
  });

  afterAll(() => {
    stalling.closeAllConnections();
    stalling.close();
  });

  it("fails as a timeout when the headers do not come in time", async () => {
    const guarded = dispatcher({ allowPrivate: true, idleTimeoutMs: 100 });
    const error = await failure(send(`http://127.0.0.1:${stallingPort}/stall-headers`, guarded));
    expect(error).toMatchObject({ kind: "timeout", code: "upstream_timeout" });
    expect(error.message).toContain("did not start answering in time");
  });

  it("fails as a timeout when the body stops moving", async () => {
    const guarded = dispatcher({ allowPrivate: true, idleTimeoutMs: 100 });
    const upstream = await upstreamRequest(
      {
        method: "GET",
        url: `http://127.0.0.1:${stallingPort}/stall-body`,
        headers: {},
        signal: new AbortController().signal,
        timeoutMs: 10_000,
        dispatcher: guarded,
      },
      "guarded",
    );
    const error = await readUpstreamText(upstream, "guarded").then(
      () => undefined,
      (caught: unknown) => caught as GatewayError,
    );
    expect(error).toMatchObject({ kind: "timeout", code: "upstream_timeout" });
    expect(error?.message).toContain("stopped sending its answer");
  });
});
