export type CircuitStateName = "closed" | "open" | "half_open";

export interface CircuitSnapshot {
  state: CircuitStateName;
  consecutiveFailures: number;
  openedAt: number | undefined;
  /** 0 when a request may go now; otherwise a hint of how long to wait. */
  retryAfterMs: number;
}

export interface CircuitBreakerOptions {
  failureThreshold: number;
  cooldownMs: number;
  now?: () => number;
  onTransition?: (from: CircuitStateName, to: CircuitStateName) => void;
}

export type AcquireResult = { allowed: true } | { allowed: false; retryAfterMs: number };

/**
 * How long to tell callers to wait while a half-open probe is in flight. How long the probe takes is
 * unknown, so this is a short hint, not a promise; it never exceeds the cooldown.
 */
const PROBE_IN_FLIGHT_HINT_MS = 1_000;

/**
 * A per-provider circuit breaker: closed → open after `failureThreshold` consecutive provider failures,
 * open → half-open once `cooldownMs` has passed, half-open → closed or open by the verdict of a single
 * probe. The open → half-open step is derived from the clock when the breaker is next looked at, so
 * there are no timers to clean up. Callers must end every allowed request with exactly one of
 * recordSuccess, recordFailure or release, or a half-open probe slot stays taken.
 */
export class CircuitBreaker {
  private readonly failureThreshold: number;
  private readonly cooldownMs: number;
  private readonly now: () => number;
  private readonly onTransition: ((from: CircuitStateName, to: CircuitStateName) => void) | undefined;

  private state: CircuitStateName = "closed";
  private consecutiveFailures = 0;
  private openedAt: number | undefined;
  private probeInFlight = false;

  constructor(options: CircuitBreakerOptions) {
    if (!Number.isInteger(options.failureThreshold) || options.failureThreshold < 1) {
      throw new RangeError(`failureThreshold must be an integer of at least 1, got ${options.failureThreshold}`);
    }
    if (!Number.isFinite(options.cooldownMs) || options.cooldownMs < 0) {
      throw new RangeError(`cooldownMs must be a finite number of at least 0, got ${options.cooldownMs}`);
    }
    this.failureThreshold = options.failureThreshold;
    this.cooldownMs = options.cooldownMs;
    this.now = options.now ?? Date.now;
    this.onTransition = options.onTransition;
  }

  /**
   * May a request go to the provider now? While open: no, with the time left in the cooldown. Once
   * half-open, exactly one caller at a time gets `allowed: true` and is the probe.
   */
  tryAcquire(): AcquireResult {
    this.refresh();
    switch (this.state) {
      case "closed":
        return { allowed: true };
      case "open":
        return { allowed: false, retryAfterMs: this.cooldownLeft() };
      case "half_open":
        if (this.probeInFlight) return { allowed: false, retryAfterMs: this.probeHint() };
        this.probeInFlight = true;
        return { allowed: true };
    }
  }

  /** The provider answered: the circuit closes and the failure count starts again. */
  recordSuccess(): void {
    this.refresh();
    this.consecutiveFailures = 0;
    this.probeInFlight = false;
    this.openedAt = undefined;
    this.moveTo("closed");
  }

  /**
   * The provider failed. In closed state this counts towards the threshold; in half-open it means the
   * provider is still failing, so the circuit opens again with a fresh cooldown. A late failure while
   * already open is counted but does not extend the cooldown.
   */
  recordFailure(): void {
    this.refresh();
    this.consecutiveFailures += 1;
    if (this.state === "half_open" || (this.state === "closed" && this.consecutiveFailures >= this.failureThreshold)) {
      this.probeInFlight = false;
      this.openedAt = this.now();
      this.moveTo("open");
    }
  }

  /** Releases a half-open probe slot without a verdict (the request was cancelled by its caller). */
  release(): void {
    this.probeInFlight = false;
  }

  snapshot(): CircuitSnapshot {
    this.refresh();
    let retryAfterMs = 0;
    if (this.state === "open") retryAfterMs = this.cooldownLeft();
    else if (this.state === "half_open" && this.probeInFlight) retryAfterMs = this.probeHint();
    return {
      state: this.state,
      consecutiveFailures: this.consecutiveFailures,
      openedAt: this.openedAt,
      retryAfterMs,
    };
  }

  /** Moves an open circuit to half-open once its cooldown is over. */
  private refresh(): void {
    if (this.state === "open" && this.cooldownLeft() === 0) {
      this.probeInFlight = false;
      this.moveTo("half_open");
    }
  }

  private cooldownLeft(): number {
    const openedAt = this.openedAt ?? this.now();
    // Clamped both ways so a clock that steps backwards cannot stretch the wait past one cooldown.
    return Math.min(this.cooldownMs, Math.max(0, openedAt + this.cooldownMs - this.now()));
  }

  private probeHint(): number {
    return Math.min(this.cooldownMs, PROBE_IN_FLIGHT_HINT_MS);
  }

  private moveTo(next: CircuitStateName): void {
    const previous = this.state;
    if (previous === next) return;
    this.state = next;
    this.onTransition?.(previous, next);
  }
}
