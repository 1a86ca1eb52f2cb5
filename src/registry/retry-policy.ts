import type { ErrorKind, GatewayError } from "../shared/errors.js";

interface KindPolicy {
  /** Worth another attempt on the same provider after a wait. */
  retry: boolean;
  /** Worth trying the next candidate (another model or provider). */
  failover: boolean;
}

/** One row per kind, so a new kind does not type-check until someone decides how it is retried. */
const policies: Record<ErrorKind, KindPolicy> = {
  // Connection resets and refused connections: the next attempt may well get through.
  network: { retry: true, failover: true },
  timeout: { retry: true, failover: true },
  // 500/502/503/504 from the provider.
  transient: { retry: true, failover: true },
  // 429: wait (honouring Retry-After) or go elsewhere.
  rate_limit: { retry: true, failover: true },
  // Our own breaker refused the provider; retrying it now would be refused again.
  circuit_open: { retry: false, failover: true },
  unavailable: { retry: false, failover: true },
  // Exhausted quota does not come back in seconds, but another provider has its own.
  quota: { retry: false, failover: true },
  // Bad or revoked key, or a key without access: another provider has other keys.
  auth: { retry: false, failover: true },
  permission: { retry: false, failover: true },
  // The provider answered with something we cannot read; another provider may answer properly.
  malformed_response: { retry: false, failover: true },
  // The request itself is at fault, so every candidate would refuse it the same way.
  invalid_request: { retry: false, failover: false },
  context_overflow: { retry: false, failover: false },
  content_policy: { retry: false, failover: false },
  not_found: { retry: false, failover: false },
  permanent: { retry: false, failover: false },
  // Decisions of the caller or the gateway, not of a provider.
  cancelled: { retry: false, failover: false },
  budget_exceeded: { retry: false, failover: false },
  approval_required: { retry: false, failover: false },
  // A gateway bug would follow the request to every candidate.
  internal: { retry: false, failover: false },
};

/** Kinds worth retrying on the same provider: network, timeout, transient and rate_limit. */
export function isRetryable(error: GatewayError): boolean {
  return policies[error.kind].retry;
}

/** Kinds worth trying another candidate for: the retryable ones, plus failures another provider may not share. */
export function shouldFailover(error: GatewayError): boolean {
  return policies[error.kind].failover;
}

const DEFAULT_MAX_BACKOFF_MS = 10_000;

/**
 * Exponential backoff with full jitter: a random whole number of milliseconds in
 * [0, min(maxMs, baseMs * 2^(attempt-1))]. `attempt` counts from 1; `random` returns [0, 1) like Math.random.
 */
export function backoffDelay(attempt: number, baseMs: number, random: () => number = Math.random, maxMs: number = DEFAULT_MAX_BACKOFF_MS): number {
  if (!(baseMs > 0) || !(maxMs > 0)) return 0;
  // Capping the exponent keeps the product finite; the cap on the delay applies long before.
  const exponent = Math.min(Math.max(Math.floor(attempt), 1) - 1, 52);
  const ceiling = Math.floor(Math.min(maxMs, baseMs * 2 ** exponent));
  const fraction = Math.min(Math.max(random(), 0), 1);
  return Math.min(ceiling, Math.floor(fraction * (ceiling + 1)));
}

export interface RetryContext {
  /** Which retry this would be, counting from 1. */
  attempt: number;
  maxRetries: number;
  baseMs: number;
  /** Time left before the request's deadline. */
  remainingMs: number;
  random?: () => number;
}

/**
 * The wait before retrying `error` on the same provider, or undefined when it must not be retried:
 * not retryable, no retries left (attempt > maxRetries), or the wait would not leave any of
 * remainingMs for the attempt itself. A Retry-After (error.retryAfterMs) replaces the backoff when it
 * fits; when it does not, the answer is undefined so the caller fails over instead of waiting.
 */
export function retryDelay(error: GatewayError, context: RetryContext): number | undefined {
  if (!isRetryable(error)) return undefined;
  if (context.attempt > context.maxRetries) return undefined;
  const retryAfter = error.retryAfterMs;
  const wait =
    retryAfter !== undefined && Number.isFinite(retryAfter) ? Math.max(0, retryAfter) : backoffDelay(context.attempt, context.baseMs, context.random);
  // Waiting until the deadline itself would leave no time for the retry to succeed.
  return wait < context.remainingMs ? wait : undefined;
}
