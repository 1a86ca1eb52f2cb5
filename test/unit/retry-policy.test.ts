import { describe, expect, it } from "vitest";
import { backoffDelay, isRetryable, retryDelay, shouldFailover } from "../../src/registry/retry-policy.js";
import { type ErrorKind, errorKinds, GatewayError } from "../../src/shared/errors.js";

const error = (kind: ErrorKind, retryAfterMs?: number) => new GatewayError(kind, `a ${kind} error`, retryAfterMs === undefined ? {} : { retryAfterMs });

const almostOne = () => 0.999_999_9;
const zero = () => 0;

describe("error classification", () => {
  const expected: Record<ErrorKind, { retry: boolean; failover: boolean }> = {
    network: { retry: true, failover: true },
    timeout: { retry: true, failover: true },
    transient: { retry: true, failover: true },
    rate_limit: { retry: true, failover: true },
    circuit_open: { retry: false, failover: true },
    unavailable: { retry: false, failover: true },
    quota: { retry: false, failover: true },
    auth: { retry: false, failover: true },
    permission: { retry: false, failover: true },
    malformed_response: { retry: false, failover: true },
    invalid_request: { retry: false, failover: false },
    context_overflow: { retry: false, failover: false },
    content_policy: { retry: false, failover: false },
    not_found: { retry: false, failover: false },
    permanent: { retry: false, failover: false },
    cancelled: { retry: false, failover: false },
    budget_exceeded: { retry: false, failover: false },
    approval_required: { retry: false, failover: false },
    internal: { retry: false, failover: false },
  };

  it("covers every kind", () => {
    expect(Object.keys(expected).sort()).toEqual([...errorKinds].sort());
  });

  it.each(errorKinds.map((kind) => [kind, expected[kind]] as const))("classifies %s", (kind, want) => {
    expect({ retry: isRetryable(error(kind)), failover: shouldFailover(error(kind)) }).toEqual(want);
  });
});

describe("backoffDelay", () => {
  it("is 0 with random 0 for every attempt", () => {
    for (let attempt = 1; attempt <= 5; attempt++) expect(backoffDelay(attempt, 100, zero)).toBe(0);
  });

  it("doubles its ceiling with each attempt", () => {
    expect([1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, 100, almostOne))).toEqual([100, 200, 400, 800, 1_600]);
  });

  it("stays within [0, base * 2^(attempt-1)]", () => {
    const randoms = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999_999];
    for (let attempt = 1; attempt <= 5; attempt++) {
      for (const r of randoms) {
        const delay = backoffDelay(attempt, 100, () => r);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(100 * 2 ** (attempt - 1));
      }
    }
    expect(backoffDelay(3, 100, () => 0.5)).toBe(200);
  });

  it("is capped at maxMs, 10 000 by default", () => {
    expect(backoffDelay(5, 1_000, almostOne)).toBe(10_000);
    expect(backoffDelay(60, 1_000, almostOne)).toBe(10_000);
    expect(backoffDelay(2_000, 1_000, almostOne)).toBe(10_000);
    expect(backoffDelay(5, 1_000, almostOne, 3_000)).toBe(3_000);
    expect(backoffDelay(2, 1_000, almostOne, 3_000)).toBe(2_000);
  });
});

describe("retryDelay", () => {
  const context = { attempt: 1, maxRetries: 2, baseMs: 100, remainingMs: 30_000, random: almostOne };

  it("backs off for a retryable error without Retry-After", () => {
    expect(retryDelay(error("transient"), context)).toBe(100);
    expect(retryDelay(error("network"), { ...context, attempt: 2 })).toBe(200);
  });

  it("honours Retry-After when it fits the remaining time", () => {
    expect(retryDelay(error("rate_limit", 5_000), context)).toBe(5_000);
    expect(retryDelay(error("rate_limit", 0), context)).toBe(0);
  });

  it("refuses when Retry-After does not fit the remaining time", () => {
    expect(retryDelay(error("rate_limit", 5_000), { ...context, remainingMs: 4_000 })).toBeUndefined();
    expect(retryDelay(error("rate_limit", 5_000), { ...context, remainingMs: 5_000 })).toBeUndefined();
    expect(retryDelay(error("rate_limit", 5_000), { ...context, remainingMs: 5_001 })).toBe(5_000);
  });

  it("refuses when the backoff does not fit the remaining time", () => {
    expect(retryDelay(error("timeout"), { ...context, remainingMs: 50 })).toBeUndefined();
    expect(retryDelay(error("timeout"), { ...context, remainingMs: 101 })).toBe(100);
  });

  it("refuses past maxRetries", () => {
    expect(retryDelay(error("transient"), { ...context, attempt: 2, maxRetries: 2 })).toBe(200);
    expect(retryDelay(error("transient"), { ...context, attempt: 3, maxRetries: 2 })).toBeUndefined();
    expect(retryDelay(error("transient"), { ...context, attempt: 1, maxRetries: 0 })).toBeUndefined();
  });

  it.each(errorKinds.filter((kind) => !["network", "timeout", "transient", "rate_limit"].includes(kind)))("refuses the non-retryable kind %s", (kind) => {
    expect(retryDelay(error(kind, 10), context)).toBeUndefined();
    expect(retryDelay(error(kind), context)).toBeUndefined();
  });
});
