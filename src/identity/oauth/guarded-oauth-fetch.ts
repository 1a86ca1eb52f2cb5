import { type Dispatcher, fetch as undiciFetch } from "undici";
import { GatewayError } from "../../shared/errors.js";
import { classifyAddress } from "../../shared/netguard/address-class.js";
import { createGuardedDispatcher, type Resolver } from "../../shared/netguard/guarded-dispatcher.js";

/** The fetch oauth4webapi calls through its customFetch option. */
export type OAuthFetch = (url: string, init: { method: string; headers: Record<string, string>; body?: unknown; signal?: AbortSignal }) => Promise<Response>;

/** True for "localhost" and loopback IP literals (with or without IPv6 brackets). */
export function isLoopbackHost(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, "");
  return bare === "localhost" || classifyAddress(bare) === "loopback";
}

/**
 * Fetch for token endpoints, through the network guard: the host must resolve to public addresses,
 * or to loopback (an authorization server on this machine); never to private or other special
 * ranges. Plain http is allowed only to a loopback host, and redirects are refused.
 */
export function createGuardedOAuthFetch(options: { timeoutMs?: number; resolve?: Resolver } = {}): { fetch: OAuthFetch; dispatcher: Dispatcher } {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const dispatcher = createGuardedDispatcher({
    allowPrivate: false,
    allowLoopback: true,
    providerId: "oauth",
    connectTimeoutMs: Math.min(10_000, timeoutMs),
    idleTimeoutMs: timeoutMs,
    ...(options.resolve !== undefined && { resolve: options.resolve }),
  });
  const fetch: OAuthFetch = async (url, init) => {
    const target = new URL(url);
    if (target.protocol !== "https:" && !(target.protocol === "http:" && isLoopbackHost(target.hostname))) {
      throw new GatewayError("permanent", `the OAuth endpoint ${target.origin} must use https (http only on a loopback host)`, {
        code: "oauth_endpoint_blocked",
      });
    }
    const signal = init.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
    const response = await undiciFetch(url, {
      method: init.method,
      headers: init.headers,
      body: init.body as string | URLSearchParams | undefined,
      redirect: "manual",
      signal,
      dispatcher,
    });
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      throw new GatewayError("permanent", `the OAuth endpoint ${target.origin} answered with a redirect (${response.status}); redirects are not followed`, {
        code: "oauth_redirect",
      });
    }
    return response as unknown as Response;
  };
  return { fetch, dispatcher };
}
