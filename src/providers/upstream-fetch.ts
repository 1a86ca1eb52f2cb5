import { type Dispatcher, FormData as UndiciFormData, fetch as undiciFetch } from "undici";
import { GatewayError } from "../shared/errors.js";
import { errorFromException, errorFromResponse } from "./upstream-error.js";

export interface UpstreamRequest {
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string>;
  body?: string | FormData;
  /** The caller's signal: aborting it cancels the upstream request. */
  signal: AbortSignal;
  /** Limit for the whole request, streamed body included. */
  timeoutMs: number;
  /** The provider's guarded connection pool; undici's global dispatcher when absent. */
  dispatcher?: Dispatcher;
}

export interface UpstreamResponse {
  response: Response;
  /** Aborts when the caller cancels or the time limit passes; classify body-read errors against it. */
  signal: AbortSignal;
  /** Ends the time limit; call once the body is read (or abandoned). */
  release(): void;
}

/**
 * Sends one request to an upstream and returns the successful response, with its body unread so
 * streams can be consumed as they arrive. Failures become classified GatewayErrors. Redirects are
 * never followed: a provider that redirects is misconfigured, and following could leave the guarded
 * address range.
 */
export async function upstreamFetch(request: UpstreamRequest, providerId: string): Promise<UpstreamResponse> {
  // A timer we clear ourselves, not AbortSignal.timeout: that one would keep every finished request's
  // signals alive for the full time limit, which under load holds hundreds of megabytes.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new DOMException("the upstream time limit passed", "TimeoutError")), request.timeoutMs);
  const release = () => clearTimeout(timer);
  const signal = AbortSignal.any([request.signal, deadline.signal]);
  let response: Response;
  try {
    // undici's own fetch, not the global one: a dispatcher must come from the same undici as fetch.
    response = await undiciFetch(request.url, {
      method: request.method,
      headers: request.headers,
      ...(request.body !== undefined && { body: toUndiciBody(request.body) }),
      signal,
      redirect: "manual",
      ...(request.dispatcher !== undefined && { dispatcher: request.dispatcher }),
    });
  } catch (error) {
    release();
    throw errorFromException(error, providerId, signal);
  }
  if (!response.ok) release();
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel();
    throw new GatewayError("permanent", `provider "${providerId}" answered with a redirect (${response.status}); redirects are not followed`, {
      code: "upstream_redirect",
    });
  }
  if (!response.ok) throw await errorFromResponse(response, providerId);
  return { response, signal, release };
}

/**
 * undici's fetch encodes only its own FormData as multipart (Node's global FormData comes from the
 * undici bundled with Node), so form bodies are copied across; string bodies pass as they are.
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

/** Joins a provider base URL ("https://api.example.com/v1") and a path ("/chat/completions"). */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}
