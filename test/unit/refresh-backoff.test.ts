import { describe, expect, it } from "vitest";
import { RefreshBackoff } from "../../src/identity/oauth/refresh-backoff.js";
import { manualClock } from "../helpers/auth-fixture.js";

describe("RefreshBackoff", () => {
  it("doubles the wait with each failure, up to the maximum, and forgets on success", () => {
    const clock = manualClock(0);
    const backoff = new RefreshBackoff({ initialMs: 1000, maxMs: 5000 }, clock.now);
    expect(backoff.waitingUntil("p")).toBeUndefined();
    expect(backoff.failed("p")).toBe(1000);
    expect(backoff.failed("p")).toBe(2000);
    expect(backoff.failed("p")).toBe(4000);
    expect(backoff.failed("p")).toBe(5000);
    expect(backoff.failuresOf("p")).toBe(4);
    expect(backoff.waitingUntil("p")).toBe(5000);
    clock.advance(5000);
    expect(backoff.waitingUntil("p")).toBeUndefined();
    backoff.succeeded("p");
    expect(backoff.failed("p")).toBe(6000);
  });

  it("keeps keys apart", () => {
    const backoff = new RefreshBackoff({ initialMs: 1000, maxMs: 60_000 }, () => 0);
    backoff.failed("a");
    expect(backoff.waitingUntil("a")).toBe(1000);
    expect(backoff.waitingUntil("b")).toBeUndefined();
  });
});
