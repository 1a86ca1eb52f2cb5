import type { IncomingHttpHeaders } from "node:http";
import { type Dispatcher, FormData as UndiciFormData, request as undiciRequest } from "undici";
import { GatewayError } from "../shared/errors.js";
import { errorFromException, errorFromResponse } from "./upstream-error.js";

export interface UpstreamRequest {
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string>;
  /** JSON text, or a form that goes as multipart (undici sets the boundary). */
  body?: string | FormData;
  /** The caller's signal: aborting it cancels the upstream request. */
  signal: AbortSignal;
  /** Limit for the whole attempt, streamed body included. */
  timeoutMs: number;
  /** The provider's pooled connections, guarded against special address ranges; undici's global pool when absent. */
  dispatcher?: Dispatcher;
}

export interface UpstreamResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  /** The body as it arrives (a Node stream); destroying it before its end closes the connection. */
  body: Dispatcher.ResponseData["body"];
  /** Aborts when the caller cancels or the time limit passes; classify body-read errors against it. */
  signal: AbortSignal;
  /**
   * Ends the attempt: clears its timer, lets go of the caller's signal and destroys a body that was
   * not read to its end. Call once the body is read or abandoned.
   */
  release(): void;
}

/**
 * Sends one request to an upstream with undici's `request` on the provider's dispatcher and returns
 * the successful response, its body unread so streams are consumed as they arrive. Each attempt has
 * one timer and one AbortController, which the caller's signal and the timer both abort; undici then
 * destroys the request's socket (a half-read HTTP/1.1 answer cannot be reused). Failures become
 * classified GatewayErrors. Redirects are never followed: `request` does not, and a provider that
 * redirects is misconfigured (following could leave the guarded address range).
 */
export async function upstreamRequest(request: UpstreamRequest, providerId: string): Promise<UpstreamResponse> {
  const attempt = new AbortController();
  const callerAborted = () => attempt.abort(request.signal.reason);
  // A timer we clear ourselves, not AbortSignal.timeout: that one would keep every finished request's
  // signal alive for the full time limit, which under load holds hundreds of megabytes.
  const timer = setTimeout(() => attempt.abort(new DOMException("the upstream time limit passed", "TimeoutError")), request.timeoutMs);
  if (request.signal.aborted) callerAborted();
  else request.signal.addEventListener("abort", callerAborted, { once: true });
  let body: Dispatcher.ResponseData["body"] | undefined;
  const release = () => {
    clearTimeout(timer);
    request.signal.removeEventListener("abort", callerAborted);
    // A body left unread (the caller stopped early) closes its connection rather than leave it half-read.
    if (body !== undefined && !body.readableEnded) body.destroy();
  };

  let response: Dispatcher.ResponseData;
  try {
    response = await undiciRequest(request.url, {
      method: request.method,
      headers: request.headers,
      ...(request.body !== undefined && { body: toUndiciBody(request.body) }),
      signal: attempt.signal,
      ...(request.dispatcher !== undefined && { dispatcher: request.dispatcher }),
    });
  } catch (error) {
    release();
    throw errorFromException(error, providerId, attempt.signal);
  }
  const { statusCode, headers } = response;
  body = response.body;
  // Whoever reads the body sees its errors through the read; an abort or destroy() while nobody reads
  // must not become an unhandled 'error' event, which would take the daemon down.
  body.on("error", ignoreError);
  if (statusCode >= 200 && statusCode < 300) return { statusCode, headers, body, signal: attempt.signal, release };

  try {
    if (statusCode >= 300 && statusCode < 400) {
      throw new GatewayError("permanent", `provider "${providerId}" answered with a redirect (${statusCode}); redirects are not followed`, {
        code: "upstream_redirect",
      });
    }
    const text = await response.body.text().catch(() => "");
    throw errorFromResponse({ status: statusCode, headers, text }, providerId);
  } finally {
    release();
  }
}

/**
 * undici encodes only its own FormData as multipart (Node's global FormData comes from the undici
 * bundled with Node), so form bodies are copied across; string bodies pass as they are.
 */
function toUndiciBody(body: string | FormData): string | UndiciFormData {
  if (typeof body === "string") return body;
  const form = new UndiciFormData();
  for (const [name, value] of body) {
    if (typeof value === "string") form.append(name, value);
    else form.append(name, value, value.name);
  }
  return form;
}

/** Reads a whole successful body as text, classifying a failed read (reset, abort, time limit). */
export async function readUpstreamText(upstream: UpstreamResponse, providerId: string): Promise<string> {
  try {
    return await upstream.body.text();
  } catch (error) {
    throw errorFromException(error, providerId, upstream.signal);
  } finally {
    upstream.release();
  }
}

/** The response's media type, lower-cased, without parameters ("text/event-stream"). */
export function contentTypeOf(upstream: Pick<UpstreamResponse, "headers">): string {
  const value = upstream.headers["content-type"];
  return (Array.isArray(value) ? (value[0] ?? "") : (value ?? "")).split(";")[0]?.trim().toLowerCase() ?? "";
}

/** Joins a provider base URL ("https://api.example.com/v1") and a path ("/chat/completions"). */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

function ignoreError(): void {}
