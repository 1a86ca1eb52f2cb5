import { describe, expect, it } from "vitest";
import { ApiKeyRateLimits, SlidingWindow } from "../../src/identity/api-keys/rate-limits.js";
import { effectiveScopes } from "../../src/identity/api-keys/scopes.js";
import type { Caller } from "../../src/identity/caller.js";

const keyCaller = (id: string): Caller => ({ id, kind: "api_key", scopes: effectiveScopes(["chat.create"]) });

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

function rateLimited(fn: () => void): { retryAfterMs: number; message: string } {
  try {
    fn();
  } catch (error) {
    expect(error).toMatchObject({ kind: "rate_limit", code: "api_key_rate_limited" });
    return error as { retryAfterMs: number; message: string };
  }
  throw new Error("expected a rate_limit error");
}

describe("SlidingWindow", () => {
  it("forgets amounts a minute after they were added", () => {
    const window = new SlidingWindow();
    window.add(5, 0);
    window.add(7, 30_000);
    expect(window.total(59_999)).toBe(12);
    expect(window.total(60_000)).toBe(7);
    expect(window.total(90_000)).toBe(0);
  });

  it("says how long until the total falls below a limit", () => {
    const window = new SlidingWindow();
    window.add(4, 0);
    window.add(4, 10_000);
    window.add(4, 20_000);
    expect(window.msUntilBelow(13, 25_000)).toBe(0);
    expect(window.msUntilBelow(12, 25_000)).toBe(35_000);
    expect(window.msUntilBelow(5, 25_000)).toBe(45_000);
  });

  it("keeps memory bounded under any rate by sharing one-second buckets", () => {
    const window = new SlidingWindow();
    for (let t = 0; t < 120_000; t += 10) window.add(1, t);
    expect((window as unknown as { buckets: unknown[] }).buckets.length).toBeLessThanOrEqual(61);
    expect(window.total(120_000)).toBeGreaterThanOrEqual(6000);
  });
});

describe("ApiKeyRateLimits", () => {
  it("admits rpm requests a minute and says when the next slot frees", () => {
    const time = clock();
    const limits = new ApiKeyRateLimits(time.now);
    limits.admit("k1", { rpm: 2, tpm: 0 });
    time.advance(10_000);
    limits.admit("k1", { rpm: 2, tpm: 0 });
    time.advance(5_000);
    const refused = rateLimited(() => limits.admit("k1", { rpm: 2, tpm: 0 }));
    expect(refused.retryAfterMs).toBe(45_000);
    expect(refused.message).toContain("2 requests per minute");
    // A refused request takes no slot; another key has its own window.
    limits.admit("k2", { rpm: 2, tpm: 0 });
    time.advance(45_000);
    limits.admit("k1", { rpm: 2, tpm: 0 });
    expect(rateLimited(() => limits.admit("k1", { rpm: 2, tpm: 0 })).retryAfterMs).toBe(10_000);
  });

  it("refuses requests once the last minute's tokens reach tpm, until they age out", () => {
    const time = clock();
    const limits = new ApiKeyRateLimits(time.now);
    const caller = keyCaller("k1");
    limits.admit("k1", { rpm: 0, tpm: 100 });
    limits.chargeRun(caller, { inputTokens: 40, outputTokens: 20 });
    time.advance(20_000);
    limits.admit("k1", { rpm: 0, tpm: 100 });
    limits.chargeRun(caller, { inputTokens: 30, outputTokens: 15 });
    time.advance(1_000);
    const refused = rateLimited(() => limits.admit("k1", { rpm: 0, tpm: 100 }));
    expect(refused.message).toContain("100 tokens per minute (105 used");
    // The first run's 60 tokens leave the window 60 s after they were counted.
    expect(refused.retryAfterMs).toBe(39_000);
    time.advance(39_000);
    limits.admit("k1", { rpm: 0, tpm: 100 });
  });

  it("leaves keys without limits and the admin token alone, and forgets revoked keys", () => {
    const time = clock();
    const limits = new ApiKeyRateLimits(time.now);
    for (let i = 0; i < 100; i++) limits.admit("free", { rpm: 0, tpm: 0 });
    limits.chargeRun({ id: "admin", kind: "admin", scopes: effectiveScopes(["admin"]) }, { inputTokens: 1e9, outputTokens: 0 });
    limits.admit("k1", { rpm: 1, tpm: 0 });
    rateLimited(() => limits.admit("k1", { rpm: 1, tpm: 0 }));
    limits.forget("k1");
    limits.admit("k1", { rpm: 1, tpm: 0 });
  });
});
