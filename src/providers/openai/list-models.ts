import type { HttpProviderOptions } from "../provider-options.js";
import { joinUrl, readUpstreamText, upstreamRequest } from "../upstream-request.js";
import { errorFromWireError, malformedAnswer } from "./wire-error.js";
import type { WireErrorBody } from "./wire-types.js";

interface WireModelList {
  data?: { id?: unknown }[];
  error?: WireErrorBody;
}

/** GET {baseUrl}/models: the model names an OpenAI-compatible server offers, in its order. */
export async function listOpenAIModels(options: HttpProviderOptions, key: string | undefined, signal: AbortSignal): Promise<string[]> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  const upstream = await upstreamRequest(
    {
      method: "GET",
      url: joinUrl(options.baseUrl, "/models"),
      headers,
      signal,
      timeoutMs: options.requestTimeoutMs,
      ...(options.dispatcher !== undefined && { dispatcher: options.dispatcher }),
    },
    options.providerId,
  );
  const text = await readUpstreamText(upstream, options.providerId);
  return fromWireModelList(text, options.providerId);
}

/** The ids of a `{"object":"list","data":[{"id":…}]}` answer; entries without a string id are skipped. */
export function fromWireModelList(text: string, providerId: string): string[] {
  let body: WireModelList;
  try {
    body = JSON.parse(text) as WireModelList;
  } catch {
    throw malformedAnswer(providerId, "the model list is not valid JSON");
  }
  if (typeof body !== "object" || body === null) throw malformedAnswer(providerId, "the model list is not a JSON object");
  if (typeof body.error === "object" && body.error !== null) throw errorFromWireError(body.error, providerId, "in its model list");
  if (!Array.isArray(body.data)) throw malformedAnswer(providerId, "the model list has no data array");
  return body.data.flatMap((entry) => (typeof entry?.id === "string" && entry.id !== "" ? [entry.id] : []));
}
