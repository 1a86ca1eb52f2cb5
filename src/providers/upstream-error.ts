import { type IncomingHttpHeaders, STATUS_CODES } from "node:http";
import { type ErrorKind, GatewayError } from "../shared/errors.js";
import { sanitizeUpstreamText } from "../shared/sanitize-upstream.js";

/** A failed upstream answer: its status, headers and body text. */
export interface FailedAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/**
 * Classifies a failed upstream HTTP response into the gateway's error vocabulary. The message names
 * the provider and carries the upstream's own words, sanitised and length-capped.
 */
export function errorFromResponse({ status, headers, text }: FailedAnswer, providerId: string, now = Date.now()): GatewayError {
  const detail = extractMessage(text);
  const kind = classifyStatus(status, `${detail} ${text}`);
  const retryAfter = headers["retry-after"];
  const retryAfterMs = parseRetryAfter(Array.isArray(retryAfter) ? (retryAfter[0] ?? null) : (retryAfter ?? null), now);
  return new GatewayError(kind, `provider "${providerId}" answered ${status}: ${sanitizeUpstreamText(detail || STATUS_CODES[status] || "no details")}`, {
    code: `upstream_${kind}`,
    ...(retryAfterMs !== undefined && { retryAfterMs }),
  });
}

/** The kind of an upstream HTTP failure, from its status and what its body says. */
export function classifyStatus(status: number, body: string): ErrorKind {
  const said = body.toLowerCase();
  if (status === 401) return "auth";
  if (status === 403) return said.includes("quota") || said.includes("billing") ? "quota" : "permission";
  if (status === 408) return "timeout";
  if (status === 429) return /insufficient_quota|quota|billing|credit/.test(said) ? "quota" : "rate_limit";
  if (status === 413 || /context_length_exceeded|maximum context length|prompt is too long|too many tokens|context window/.test(said)) {
    return "context_overflow";
  }
  if (/content_policy|content_filter|safety system|flagged/.test(said)) return "content_policy";
  // 529 is Anthropic's "overloaded".
  if (status >= 500 || status === 529 || status === 409 || status === 425) return "transient";
  return "permanent";
}

/** Retry-After as milliseconds from now: delta-seconds or an HTTP date; undefined when absent or bad. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const undiciTimeouts = new Map<unknown, string>([
  ["UND_ERR_CONNECT_TIMEOUT", "could not be connected to in time"],
  ["UND_ERR_HEADERS_TIMEOUT", "did not start answering in time"],
  ["UND_ERR_BODY_TIMEOUT", "stopped sending its answer for too long"],
]);

/** Classifies a request or body read that threw: our own abort, a timeout, the address guard's refusal, or a network failure. */
export function errorFromException(error: unknown, providerId: string, signal: AbortSignal): GatewayError {
  if (error instanceof GatewayError) return error;
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    if (reason instanceof GatewayError) return reason;
    if (reason instanceof DOMException && reason.name === "TimeoutError") {
      return new GatewayError("timeout", `provider "${providerId}" did not answer in time`, { code: "upstream_timeout" });
    }
    return new GatewayError("cancelled", "the request was cancelled", { cause: error });
  }
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  // The network guard refused the address before connecting: its verdict goes up as it is.
  if (cause instanceof GatewayError) return cause;
  // undici's own limits (see createGuardedDispatcher), on the error itself or on its cause.
  const code = (error as { code?: unknown } | undefined)?.code ?? cause?.code;
  const stalled = undiciTimeouts.get(code);
  if (stalled !== undefined) {
    return new GatewayError("timeout", `provider "${providerId}" ${stalled}`, { code: "upstream_timeout", cause: error });
  }
  const what = cause?.code ?? code ?? cause?.message ?? (error as Error).message ?? String(error);
  return new GatewayError("network", `provider "${providerId}" could not be reached: ${sanitizeUpstreamText(String(what))}`, {
    code: "upstream_network",
    cause: error,
  });
}

/** Pulls the human message out of the usual upstream error bodies ({"error":{"message"}} and kin). */
function extractMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    if (typeof body.error === "string") return body.error;
    if (typeof body.error?.message === "string") return body.error.message;
    if (typeof body.message === "string") return body.message;
  } catch {
    // Not JSON: the text itself is the message.
  }
  return text;
}
