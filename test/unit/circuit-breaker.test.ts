import { describe, expect, it } from "vitest";
import { CircuitBreaker, type CircuitStateName } from "../../src/registry/circuit-breaker.js";
import { ProviderCircuits } from "../../src/registry/provider-circuits.js";

function setup(failureThreshold = 3, cooldownMs = 10_000) {
  let clock = 1_000;
  const transitions: Array<[CircuitStateName, CircuitStateName]> = [];
  const breaker = new CircuitBreaker({
    failureThreshold,
    cooldownMs,
    now: () => clock,
    onTransition: (from, to) => transitions.push([from, to]),
  });
  const advance = (ms: number) => {
    clock += ms;
  };
  return { breaker, transitions, advance, now: () => clock };
}

function failTimes(breaker: CircuitBreaker, times: number) {
  for (let i = 0; i < times; i++) {
    expect(breaker.tryAcquire()).toEqual({ allowed: true });
    breaker.recordFailure();
  }
}

describe("CircuitBreaker", () => {
  it("starts closed and allows requests", () => {
    const { breaker } = setup();
    expect(breaker.tryAcquire()).toEqual({ allowed: true });
    expect(breaker.snapshot()).toEqual({ state: "closed", consecutiveFailures: 0, openedAt: undefined, retryAfterMs: 0 });
  });

  it("opens after exactly the threshold of consecutive failures", () => {
    const { breaker, now } = setup(3);
    failTimes(breaker, 2);
    expect(breaker.snapshot()).toMatchObject({ state: "closed", consecutiveFailures: 2 });
    failTimes(breaker, 1);
    expect(breaker.snapshot()).toEqual({ state: "open", consecutiveFailures: 3, openedAt: now(), retryAfterMs: 10_000 });
  });

  it("resets the count when a success comes between failures", () => {
    const { breaker } = setup(3);
    failTimes(breaker, 2);
    breaker.recordSuccess();
    expect(breaker.snapshot().consecutiveFailures).toBe(0);
    failTimes(breaker, 2);
    expect(breaker.snapshot()).toMatchObject({ state: "closed", consecutiveFailures: 2 });
    failTimes(breaker, 1);
    expect(breaker.snapshot().state).toBe("open");
  });

  it("refuses while open with the cooldown left, counting down with the clock", () => {
    const { breaker, advance } = setup(1, 10_000);
    failTimes(breaker, 1);
    expect(breaker.tryAcquire()).toEqual({ allowed: false, retryAfterMs: 10_000 });
    advance(4_000);
    expect(breaker.tryAcquire()).toEqual({ allowed: false, retryAfterMs: 6_000 });
    expect(breaker.snapshot()).toMatchObject({ state: "open", retryAfterMs: 6_000 });
    advance(5_999);
    expect(breaker.tryAcquire()).toEqual({ allowed: false, retryAfterMs: 1 });
  });

  it("does not extend the cooldown for a late failure while open", () => {
    const { breaker, advance } = setup(1, 10_000);
    const openedAt = (failTimes(breaker, 1), breaker.snapshot().openedAt);
    advance(3_000);
    breaker.recordFailure();
    expect(breaker.snapshot()).toMatchObject({ state: "open", openedAt, consecutiveFailures: 2, retryAfterMs: 7_000 });
  });

  it("allows exactly one probe after the cooldown and refuses a concurrent second call", () => {
    const { breaker, advance } = setup(1, 10_000);
    failTimes(breaker, 1);
    advance(10_000);
    expect(breaker.snapshot()).toMatchObject({ state: "half_open", retryAfterMs: 0 });
    expect(breaker.tryAcquire()).toEqual({ allowed: true });
    const second = breaker.tryAcquire();
    expect(second.allowed).toBe(false);
    expect(second.allowed === false && second.retryAfterMs).toBeGreaterThan(0);
    expect(breaker.tryAcquire().allowed).toBe(false);
    expect(breaker.snapshot().state).toBe("half_open");
  });

  it("closes when the probe succeeds", () => {
    const { breaker, advance } = setup(2, 10_000);
    failTimes(breaker, 2);
    advance(10_000);
    expect(breaker.tryAcquire()).toEqual({ allowed: true });
    breaker.recordSuccess();
    expect(breaker.snapshot()).toEqual({ state: "closed", consecutiveFailures: 0, openedAt: undefined, retryAfterMs: 0 });
    expect(breaker.tryAcquire()).toEqual({ allowed: true });
    expect(breaker.tryAcquire()).toEqual({ allowed: true });
  });

  it("opens again with a fresh cooldown when the probe fails", () => {
    const { breaker, advance, now } = setup(1, 10_000);
    failTimes(breaker, 1);
    advance(12_000);
    expect(breaker.tryAcquire()).toEqual({ allowed: true });
    advance(500);
    breaker.recordFailure();
    expect(breaker.snapshot()).toMatchObject({ state: "open", openedAt: now(), retryAfterMs: 10_000 });
    expect(breaker.tryAcquire()).toEqual({ allowed: false, retryAfterMs: 10_000 });
    advance(9_999);
    expect(breaker.tryAcquire()).toEqual({ allowed: false, retryAfterMs: 1 });
    advance(1);
    expect(breaker.tryAcquire()).toEqual({ allowed: true });
  });

  it("frees the probe slot on release without a verdict", () => {
    const { breaker, advance } = setup(1, 10_000);
    failTimes(breaker, 1);
    advance(10_000);
    expect(breaker.tryAcquire()).toEqual({ allowed: true });
    expect(breaker.tryAcquire().allowed).toBe(false);
    breaker.release();
    expect(breaker.snapshot()).toMatchObject({ state: "half_open", retryAfterMs: 0 });
    expect(breaker.tryAcquire()).toEqual({ allowed: true });
    expect(breaker.tryAcquire().allowed).toBe(false);
  });

  it("reports every transition to onTransition, once each", () => {
    const { breaker, transitions, advance } = setup(2, 10_000);
    failTimes(breaker, 2);
    expect(transitions).toEqual([["closed", "open"]]);
    advance(10_000);
    breaker.snapshot();
    breaker.snapshot();
    expect(transitions).toEqual([
      ["closed", "open"],
      ["open", "half_open"],
    ]);
    breaker.tryAcquire();
    breaker.recordFailure();
    advance(10_000);
    breaker.tryAcquire();
    breaker.recordSuccess();
    breaker.recordSuccess();
    expect(transitions).toEqual([
      ["closed", "open"],
      ["open", "half_open"],
      ["half_open", "open"],
      ["open", "half_open"],
      ["half_open", "closed"],
    ]);
  });

  it("rejects a threshold below 1 and a negative cooldown", () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0, cooldownMs: 1_000 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ failureThreshold: 1, cooldownMs: -1 })).toThrow(RangeError);
  });
});

describe("ProviderCircuits", () => {
  it("keeps one breaker per provider with that provider's settings", () => {
    let clock = 0;
    const transitions: string[] = [];
    const circuits = new ProviderCircuits(
      (providerId) => (providerId === "fragile" ? { failureThreshold: 1, cooldownMs: 5_000 } : { failureThreshold: 3, cooldownMs: 60_000 }),
      () => clock,
      (providerId, from, to) => transitions.push(`${providerId}:${from}->${to}`),
    );
    expect(circuits.get("fragile")).toBe(circuits.get("fragile"));
    circuits.get("fragile").recordFailure();
    circuits.get("sturdy").recordFailure();
    expect(circuits.snapshot("fragile")).toMatchObject({ state: "open", retryAfterMs: 5_000 });
    expect(circuits.snapshot("sturdy")).toMatchObject({ state: "closed", consecutiveFailures: 1 });
    clock = 5_000;
    expect(circuits.snapshot("fragile").state).toBe("half_open");
    expect(transitions).toEqual(["fragile:closed->open", "fragile:open->half_open"]);
  });
});
