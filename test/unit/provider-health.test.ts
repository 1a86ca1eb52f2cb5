import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { configSchema, type ProviderConfig } from "../../src/config/schema.js";
import { ModelRegistry, type RegisteredProvider } from "../../src/registry/model-registry.js";
import { type ConnectionOutcome, classifyProbe, healthRank, ProviderHealth } from "../../src/registry/provider-health.js";
import { type ErrorKind, GatewayError } from "../../src/shared/errors.js";
import type { ModelProvider } from "../../src/shared/model-types.js";

type ListModels = (signal: AbortSignal) => Promise<string[]>;

/** A provider whose model listing is whatever the test says; no listing at all when `listModels` is undefined. */
function fakeProvider(providerId: string, listModels: ListModels | undefined): ModelProvider {
  return {
    providerId,
    kind: listModels === undefined ? "deterministic" : "openai_compatible",
    async *streamChat() {
      yield { type: "text", text: "unused" };
    },
    ...(listModels !== undefined && { listModels }),
  };
}

/** A real registry over fake providers: the entries' `enabled` flags apply as they would from config. */
function registryOf(providers: { id: string; listModels: ListModels | undefined; enabled?: boolean }[]): ModelRegistry {
  const config = configSchema.parse({
    version: 1,
    model_provider: {
      providers: providers.map(({ id, listModels, enabled }) => ({
        provider_id: id,
        kind: listModels === undefined ? "deterministic" : "openai_compatible",
        ...(listModels !== undefined && { base_url: "http://127.0.0.1:9/v1" }),
        enabled: enabled ?? true,
      })),
    },
  });
  const byId = new Map(providers.map((provider) => [provider.id, provider.listModels]));
  return new ModelRegistry(config.model_provider, (provider: ProviderConfig) => fakeProvider(provider.provider_id, byId.get(provider.provider_id)));
}

function providerOf(listModels: ListModels | undefined, id = "upstream"): RegisteredProvider {
  const provider = registryOf([{ id, listModels }]).listProviders()[0];
  if (provider === undefined) throw new Error("no provider");
  return provider;
}

/** Rejects with the signal's reason when it aborts, as a real listing does. */
const hangUntilAborted: ListModels = (signal) =>
  new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true }));

const failWith =
  (kind: ErrorKind, message = `upstream said ${kind}`): ListModels =>
  () =>
    Promise.reject(new GatewayError(kind, message));

afterEach(() => {
  vi.useRealTimers();
});

describe("classifyProbe", () => {
  const table: [string, unknown, ConnectionOutcome][] = [
    ["no error", undefined, "ok"],
    ["auth", new GatewayError("auth", "401"), "auth_failed"],
    ["permission", new GatewayError("permission", "403"), "auth_failed"],
    ["rate_limit", new GatewayError("rate_limit", "429"), "rate_limited"],
    ["quota", new GatewayError("quota", "429 quota"), "rate_limited"],
    ["timeout", new GatewayError("timeout", "slow"), "timeout"],
    ["an abort by AbortSignal.timeout", new DOMException("late", "TimeoutError"), "timeout"],
    ["network", new GatewayError("network", "refused"), "endpoint_failed"],
    ["transient", new GatewayError("transient", "503"), "endpoint_failed"],
    ["permanent", new GatewayError("permanent", "404"), "endpoint_failed"],
    ["malformed_response", new GatewayError("malformed_response", "not JSON"), "endpoint_failed"],
    ["internal", new GatewayError("internal", "bug"), "endpoint_failed"],
    ["a plain Error", new Error("boom"), "endpoint_failed"],
    ["address_blocked", new GatewayError("permission", "private address", { code: "address_blocked" }), "blocked"],
    [
      "address_blocked wrapped by fetch",
      new TypeError("fetch failed", { cause: new GatewayError("network", "private address", { code: "address_blocked" }) }),
      "blocked",
    ],
  ];
  it.each(table)("%s -> %s", (_name, error, outcome) => {
    expect(classifyProbe(error)).toBe(outcome);
  });
});

describe("healthRank", () => {
  it("puts ok and unknown first, then degraded, then down", () => {
    expect([healthRank("ok"), healthRank("unknown"), healthRank("degraded"), healthRank("down")]).toEqual([0, 0, 1, 2]);
  });
});

describe("ProviderHealth.probe", () => {
  it("reports a provider never probed as unknown", () => {
    expect(new ProviderHealth().stateOf("upstream")).toEqual({ state: "unknown", detail: "not checked yet" });
  });

  it("marks a provider that lists its models ok, with the count, time and latency", async () => {
    const health = new ProviderHealth();
    const before = Date.now();
    const result = await health.probe(providerOf(async () => ["a", "b"]));
    expect(result).toMatchObject({ providerId: "upstream", outcome: "ok", detail: "listed 2 models", models: ["a", "b"] });
    const record = health.stateOf("upstream");
    expect(record).toMatchObject({ state: "ok", detail: "listed 2 models" });
    expect(record.checkedAt?.getTime()).toBeGreaterThanOrEqual(before);
    expect(record.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it.each([
    ["auth" as const, "auth_failed", "down"],
    ["rate_limit" as const, "rate_limited", "degraded"],
    ["transient" as const, "endpoint_failed", "down"],
  ])("marks a %s failure as %s and the provider %s, with the error as detail", async (kind, outcome, state) => {
    const health = new ProviderHealth();
    const result = await health.probe(providerOf(failWith(kind)));
    expect(result).toMatchObject({ outcome, detail: `upstream said ${kind}`, models: [] });
    expect(health.stateOf("upstream")).toMatchObject({ state, detail: `upstream said ${kind}` });
  });

  it("times out a listing that honours its signal", async () => {
    const health = new ProviderHealth();
    const result = await health.probe(providerOf(hangUntilAborted), 20);
    expect(result.outcome).toBe("timeout");
    expect(result.detail).toContain("within 20 ms");
    expect(result.latencyMs).toBeGreaterThanOrEqual(15);
    expect(health.stateOf("upstream").state).toBe("down");
  });

  it("times out a listing that ignores its signal", async () => {
    const result = await new ProviderHealth().probe(
      providerOf(() => new Promise<string[]>(() => {})),
      20,
    );
    expect(result.outcome).toBe("timeout");
  });

  it("reports not_applicable for a provider with no listing, which stays usable", async () => {
    const health = new ProviderHealth();
    const result = await health.probe(providerOf(undefined, "local"));
    expect(result).toMatchObject({ providerId: "local", outcome: "not_applicable", latencyMs: 0, models: [] });
    expect(health.stateOf("local").state).toBe("ok");
  });

  it("records nothing when the caller cancels the probe", async () => {
    const health = new ProviderHealth();
    const cancel = new AbortController();
    const probing = health.probe(providerOf(hangUntilAborted), 5000, cancel.signal);
    cancel.abort();
    await probing;
    expect(health.stateOf("upstream").state).toBe("unknown");
  });
});

describe("ProviderHealth background checks", () => {
  /** A listing the test finishes by hand, counting its calls. */
  function controlledListing() {
    const pending: (() => void)[] = [];
    const listModels = vi.fn<ListModels>(
      () =>
        new Promise<string[]>((resolve) => {
          pending.push(() => resolve(["m"]));
        }),
    );
    return { listModels, finishAll: () => pending.splice(0).forEach((finish) => finish()) };
  }

  function captureLogs() {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString("utf8")) as Record<string, unknown>);
        done();
      },
    });
    return { logger: pino({ level: "info" }, sink), lines };
  }

  it("checks every enabled provider each interval, starting one interval in, and never overlaps runs", async () => {
    vi.useFakeTimers();
    const slow = controlledListing();
    const disabled = vi.fn<ListModels>(async () => []);
    const registry = registryOf([
      { id: "slow", listModels: slow.listModels },
      { id: "off", listModels: disabled, enabled: false },
    ]);
    const health = new ProviderHealth();
    health.startBackgroundChecks(registry, 1000, captureLogs().logger);

    await vi.advanceTimersByTimeAsync(999);
    expect(slow.listModels).toHaveBeenCalledTimes(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(slow.listModels).toHaveBeenCalledTimes(1);
    // The first run is still waiting on the upstream: later intervals must not start another.
    await vi.advanceTimersByTimeAsync(3000);
    expect(slow.listModels).toHaveBeenCalledTimes(1);

    slow.finishAll();
    await vi.advanceTimersByTimeAsync(0);
    expect(health.stateOf("slow").state).toBe("ok");
    await vi.advanceTimersByTimeAsync(999);
    expect(slow.listModels).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(slow.listModels).toHaveBeenCalledTimes(2);
    expect(disabled).not.toHaveBeenCalled();

    slow.finishAll();
    await health.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(slow.listModels).toHaveBeenCalledTimes(2);
  });

  it("logs when a provider's state changes, not on every check", async () => {
    vi.useFakeTimers();
    let failing = true;
    const registry = registryOf([{ id: "flaky", listModels: () => (failing ? failWith("network")(new AbortController().signal) : Promise.resolve(["m"])) }]);
    const health = new ProviderHealth();
    const { logger, lines } = captureLogs();
    health.startBackgroundChecks(registry, 1000, logger);

    await vi.advanceTimersByTimeAsync(1000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(health.stateOf("flaky").state).toBe("down");
    failing = false;
    await vi.advanceTimersByTimeAsync(1000);
    await health.stop();

    expect(lines.map((line) => [line.msg, line.providerId, line.state])).toEqual([
      ["provider is down", "flaky", "down"],
      ["provider is healthy", "flaky", "ok"],
    ]);
  });

  it("aborts a check under way when stopped, without recording it", async () => {
    vi.useFakeTimers();
    const registry = registryOf([{ id: "hanging", listModels: hangUntilAborted }]);
    const health = new ProviderHealth();
    health.startBackgroundChecks(registry, 1000, captureLogs().logger);
    await vi.advanceTimersByTimeAsync(1000);
    await health.stop();
    expect(health.stateOf("hanging").state).toBe("unknown");
  });
});
