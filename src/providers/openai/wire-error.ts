import { GatewayError } from "../../shared/errors.js";
import { sanitizeUpstreamText } from "../../shared/sanitize-upstream.js";
import { classifyStatus } from "../upstream-error.js";
import type { WireErrorBody } from "./wire-types.js";

/**
 * Classifies an `error` object that arrived with a 200 (in a stream's data frame or a JSON body)
 * the way the same error would be classified had it come as an HTTP status.
 */
export function errorFromWireError(error: WireErrorBody, providerId: string, where: string): GatewayError {
  const said = JSON.stringify(error);
  const message = typeof error.message === "string" && error.message !== "" ? error.message : String(error.type ?? error.code ?? "no details");
  const kind = classifyStatus(impliedStatus(error), `${message} ${said}`);
  return new GatewayError(kind, `provider "${providerId}" reported an error ${where}: ${sanitizeUpstreamText(message)}`, {
    code: `upstream_${kind}`,
  });
}

/** The HTTP status the error would have had: stated outright by some servers, else read from its type and code. */
function impliedStatus(error: WireErrorBody): number {
  for (const value of [error.status, error.code]) {
    const status = typeof value === "string" ? Number(value) : value;
    if (typeof status === "number" && Number.isInteger(status) && status >= 400 && status < 600) return status;
  }
  const label = `${String(error.type ?? "")} ${String(error.code ?? "")}`.toLowerCase();
  if (/rate_limit|insufficient_quota|quota/.test(label)) return 429;
  if (/invalid_api_key|authentication|unauthorized/.test(label)) return 401;
  if (/permission/.test(label)) return 403;
  if (/not_found/.test(label)) return 404;
  if (/invalid_request|context_length/.test(label)) return 400;
  // server_error, overloaded and anything unknown: a mid-stream failure is the upstream's, and worth a retry.
  return 500;
}

/** An answer the gateway cannot read: not JSON, or missing what the wire format promises. */
export function malformedAnswer(providerId: string, what: string): GatewayError {
  return new GatewayError("malformed_response", `provider "${providerId}" sent a malformed answer: ${sanitizeUpstreamText(what)}`, {
    code: "upstream_malformed_response",
  });
}
