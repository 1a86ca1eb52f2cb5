import { GatewayError } from "../../shared/errors.js";
import { sanitizeUpstreamText } from "../../shared/sanitize-upstream.js";
import type { HttpProviderOptions } from "../provider-options.js";
import { joinUrl, readUpstreamText, upstreamRequest } from "../upstream-request.js";

/** One page of GET /v1/models. */
interface AnthropicModelPage {
  data?: { id?: unknown }[];
  has_more?: unknown;
  last_id?: unknown;
}

/** The largest page the API serves; a handful of pages covers any real account. */
const pageSize = 1000;
const maxPages = 10;

/** GET {baseUrl}/models, following pages: the model names an Anthropic account may use. */
export async function listAnthropicModels(options: HttpProviderOptions, headers: Record<string, string>, signal: AbortSignal): Promise<string[]> {
  const names: string[] = [];
  let afterId: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const query = new URLSearchParams({ limit: String(pageSize), ...(afterId !== undefined && { after_id: afterId }) });
    const body = await fetchPage(options, headers, `/models?${query.toString()}`, signal);
    names.push(...body.ids);
    if (!body.hasMore || body.lastId === undefined) break;
    afterId = body.lastId;
  }
  return names;
}

async function fetchPage(options: HttpProviderOptions, headers: Record<string, string>, path: string, signal: AbortSignal) {
  const upstream = await upstreamRequest(
    {
      method: "GET",
      url: joinUrl(options.baseUrl, path),
      headers: { ...headers, accept: "application/json" },
      signal,
      timeoutMs: options.requestTimeoutMs,
      ...(options.dispatcher !== undefined && { dispatcher: options.dispatcher }),
    },
    options.providerId,
  );
  const text = await readUpstreamText(upstream, options.providerId);
  return fromModelPage(text, options.providerId);
}

/** The ids of one page, and where the next page starts. */
export function fromModelPage(text: string, providerId: string): { ids: string[]; hasMore: boolean; lastId: string | undefined } {
  let body: AnthropicModelPage;
  try {
    body = JSON.parse(text) as AnthropicModelPage;
  } catch {
    throw malformed(providerId, "the model list is not valid JSON");
  }
  if (typeof body !== "object" || body === null || !Array.isArray(body.data)) throw malformed(providerId, "the model list has no data array");
  return {
    ids: body.data.flatMap((entry) => (typeof entry?.id === "string" && entry.id !== "" ? [entry.id] : [])),
    hasMore: body.has_more === true,
    lastId: typeof body.last_id === "string" && body.last_id !== "" ? body.last_id : undefined,
  };
}

function malformed(providerId: string, what: string): GatewayError {
  return new GatewayError("malformed_response", `provider "${providerId}" sent a malformed answer: ${sanitizeUpstreamText(what)}`, {
    code: "upstream_malformed_response",
  });
}
