import { GatewayError } from "../../shared/errors.js";
import type { Caller } from "../caller.js";

const minuteMs = 60_000;
/** Amounts added within one bucket share a slot, so memory per key stays bounded whatever the traffic. */
const bucketMs = 1_000;

/** A key's limits per minute; 0 means no limit. */
export interface KeyLimits {
  rpm: number;
  tpm: number;
}

interface Bucket {
  start: number;
  /** When the bucket last grew; it leaves the window a minute after that (never early). */
  last: number;
  amount: number;
}

/** The sum of amounts added within the last minute, in one-second buckets (at most 61 of them). */
export class SlidingWindow {
  private readonly buckets: Bucket[] = [];
  private sum = 0;

  add(amount: number, now: number): void {
    this.prune(now);
    const tail = this.buckets.at(-1);
    if (tail !== undefined && now - tail.start < bucketMs) {
      tail.amount += amount;
      tail.last = now;
    } else {
      this.buckets.push({ start: now, last: now, amount });
    }
    this.sum += amount;
  }

  total(now: number): number {
    this.prune(now);
    return this.sum;
  }

  /** Milliseconds until the total falls below limit; 0 when it already is. */
  msUntilBelow(limit: number, now: number): number {
    this.prune(now);
    let remaining = this.sum;
    if (remaining < limit) return 0;
    for (const bucket of this.buckets) {
      remaining -= bucket.amount;
      if (remaining < limit) return Math.max(1, bucket.last + minuteMs - now);
    }
    return minuteMs;
  }

  private prune(now: number): void {
    while (this.buckets.length > 0 && (this.buckets[0] as Bucket).last + minuteMs <= now) {
      this.sum -= (this.buckets.shift() as Bucket).amount;
    }
  }
}

interface KeyWindows {
  requests: SlidingWindow | undefined;
  tokens: SlidingWindow | undefined;
}

/**
 * Per-key requests-per-minute and tokens-per-minute limits, as in-memory sliding windows. Requests
 * are counted when admitted; tokens when a run ends (the run engine reports its usage), so a key
 * over its token budget is refused its next request until enough of the last minute's tokens age out.
 */
export class ApiKeyRateLimits {
  private readonly windows = new Map<string, KeyWindows>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Admits one request that starts a run, or throws a rate_limit error saying when to retry. */
  admit(keyId: string, limits: KeyLimits): void {
    if (limits.rpm <= 0 && limits.tpm <= 0) return;
    const now = this.now();
    const windows = this.windowsOf(keyId, limits);
    const requestWait = windows.requests?.msUntilBelow(limits.rpm, now) ?? 0;
    const tokenWait = windows.tokens?.msUntilBelow(limits.tpm, now) ?? 0;
    if (requestWait > 0 || tokenWait > 0) {
      const retryAfterMs = Math.max(requestWait, tokenWait);
      const limit =
        requestWait >= tokenWait
          ? `its limit of ${limits.rpm} requests per minute`
          : `its limit of ${limits.tpm} tokens per minute (${windows.tokens?.total(now) ?? 0} used in the last minute)`;
      throw new GatewayError("rate_limit", `API key ${keyId} reached ${limit}; retry in ${Math.ceil(retryAfterMs / 1000)} s`, {
        code: "api_key_rate_limited",
        retryAfterMs,
      });
    }
    windows.requests?.add(1, now);
  }

  /** Counts the tokens of a run that ended against its key's per-minute token window. */
  chargeRun(caller: Caller, usage: { inputTokens: number; outputTokens: number }): void {
    if (caller.kind !== "api_key") return;
    const tokens = usage.inputTokens + usage.outputTokens;
    if (tokens > 0) this.windows.get(caller.id)?.tokens?.add(tokens, this.now());
  }

  /** Drops a key's windows (it was revoked). */
  forget(keyId: string): void {
    this.windows.delete(keyId);
  }

  private windowsOf(keyId: string, limits: KeyLimits): KeyWindows {
    let windows = this.windows.get(keyId);
    if (windows === undefined) {
      windows = {
        requests: limits.rpm > 0 ? new SlidingWindow() : undefined,
        tokens: limits.tpm > 0 ? new SlidingWindow() : undefined,
      };
      this.windows.set(keyId, windows);
    }
    return windows;
  }
}
