import type { Response } from "express";
import { Code, ConnectError } from "@connectrpc/connect";
import { type ErrorDetail, ErrorDetailSchema, ErrorKind } from "../../../gen/es/palyra/gateway/v1/common_pb.js";
import { clip } from "../../shared/clip.js";

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export interface OpenAIErrorResponse {
  status: number;
  body: OpenAIErrorBody;
  /** Seconds, for a Retry-After header. */
  retryAfterSeconds?: number;
  runId?: string;
  /** A held request's approval (x-palyra-approval-id), for the caller to present once it is approved. */
  approvalId?: string;
}

/** A problem with an OpenAI request found by the adapter itself, before or instead of an RPC. */
export class OpenAIRequestError extends Error {
  readonly param: string | null;
  readonly status: number;
  readonly code: string | null;
  readonly type: string;

  constructor(message: string, options: { param?: string | null; status?: number; code?: string; type?: string } = {}) {
    super(message);
    this.param = options.param ?? null;
    this.status = options.status ?? 400;
    this.code = options.code ?? "invalid_value";
    this.type = options.type ?? "invalid_request_error";
  }
}

/** The one place error kinds become OpenAI statuses and error types. */
const statusByKind: Record<ErrorKind, [status: number, type: string]> = {
  [ErrorKind.UNSPECIFIED]: [500, "api_error"],
  [ErrorKind.INVALID_REQUEST]: [400, "invalid_request_error"],
  [ErrorKind.CONTEXT_OVERFLOW]: [400, "invalid_request_error"],
  [ErrorKind.CONTENT_POLICY]: [400, "invalid_request_error"],
  [ErrorKind.AUTH]: [401, "authentication_error"],
  [ErrorKind.PERMISSION]: [403, "permission_error"],
  [ErrorKind.NOT_FOUND]: [404, "invalid_request_error"],
  [ErrorKind.APPROVAL_REQUIRED]: [409, "approval_required"],
  [ErrorKind.RATE_LIMIT]: [429, "rate_limit_error"],
  [ErrorKind.BUDGET_EXCEEDED]: [429, "rate_limit_error"],
  [ErrorKind.QUOTA]: [429, "insufficient_quota"],
  // 499 is the de-facto "client closed request" status; only seen if the caller is still there.
  [ErrorKind.CANCELLED]: [499, "request_cancelled"],
  [ErrorKind.INTERNAL]: [500, "api_error"],
  // The upstream failed us: a bad gateway, not the caller's mistake nor ours.
  [ErrorKind.PERMANENT]: [502, "api_error"],
  [ErrorKind.MALFORMED_RESPONSE]: [502, "api_error"],
  [ErrorKind.UNAVAILABLE]: [503, "service_unavailable_error"],
  [ErrorKind.CIRCUIT_OPEN]: [503, "service_unavailable_error"],
  [ErrorKind.TRANSIENT]: [503, "service_unavailable_error"],
  [ErrorKind.NETWORK]: [503, "service_unavailable_error"],
  [ErrorKind.TIMEOUT]: [504, "timeout_error"],
};

/** Connect's own errors (no ErrorDetail attached), by code. */
const kindByCode: Partial<Record<Code, ErrorKind>> = {
  [Code.InvalidArgument]: ErrorKind.INVALID_REQUEST,
  [Code.Unauthenticated]: ErrorKind.AUTH,
  [Code.PermissionDenied]: ErrorKind.PERMISSION,
  [Code.NotFound]: ErrorKind.NOT_FOUND,
  [Code.ResourceExhausted]: ErrorKind.RATE_LIMIT,
  [Code.Canceled]: ErrorKind.CANCELLED,
  [Code.Unavailable]: ErrorKind.UNAVAILABLE,
  [Code.DeadlineExceeded]: ErrorKind.TIMEOUT,
};

export function toOpenAIError(error: unknown): OpenAIErrorResponse {
  if (error instanceof OpenAIRequestError) {
    return { status: error.status, body: body(error.message, error.type, error.param, error.code) };
  }
  const bodyParser = bodyParserError(error);
  if (bodyParser !== undefined) return bodyParser;
  if (!(error instanceof ConnectError)) {
    return { status: 500, body: body("The gateway failed to process the request", "api_error", null, "internal_error") };
  }
  const detail = error.findDetails(ErrorDetailSchema)[0];
  return fromErrorDetail(error.rawMessage, detail ?? { kind: kindByCode[error.code] ?? ErrorKind.INTERNAL });
}

/** The OpenAI error for a run that failed after it started (a RunFailed event). */
export function fromErrorDetail(message: string, detail: Pick<ErrorDetail, "kind"> & Partial<Omit<ErrorDetail, "$typeName" | "kind">>): OpenAIErrorResponse {
  const [status, type] = statusByKind[detail.kind] ?? [500, "api_error"];
  return {
    status,
    body: body(message, type, detail.param || null, detail.code || null),
    ...(detail.retryAfterMs ? { retryAfterSeconds: Math.ceil(detail.retryAfterMs / 1000) } : {}),
    ...(detail.runId ? { runId: detail.runId } : {}),
    ...(detail.approvalId ? { approvalId: detail.approvalId } : {}),
  };
}

function body(message: string, type: string, param: string | null, code: string | null): OpenAIErrorBody {
  return { error: { message, type, param, code } };
}

/**
 * Errors of the body parsers and the router, found before any RPC: malformed or too deep JSON, bodies
 * over the limit, unknown encodings, corrupt compressed bodies, bad percent-encoding in a path.
 */
function bodyParserError(error: unknown): OpenAIErrorResponse | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { type, message, status } = error as { type?: unknown; message?: unknown; status?: unknown };
  const text = typeof message === "string" ? clip(message, 512) : "";
  if (type === "entity.parse.failed") {
    return { status: 400, body: body(`We could not parse the JSON body of your request: ${text}`.trim(), "invalid_request_error", null, "invalid_json") };
  }
  if (type === "entity.verify.failed") return { status: 400, body: body(text, "invalid_request_error", null, "invalid_json") };
  if (type === "entity.too.large") {
    return { status: 413, body: body("The request body is larger than the gateway accepts", "invalid_request_error", null, "request_too_large") };
  }
  if (type === "encoding.unsupported" || type === "charset.unsupported") {
    return { status: 415, body: body(text || "Unsupported request encoding", "invalid_request_error", null, "unsupported_encoding") };
  }
  // Anything else the parsers and router refuse with a 4xx (a corrupt gzip body, "%ZZ" in a path, a
  // client that went away mid-body) is the request's fault, and their message says what is wrong.
  if (typeof status === "number" && status >= 400 && status < 500) {
    return { status, body: body(`The request could not be read: ${text}`, "invalid_request_error", null, "invalid_request") };
  }
  return undefined;
}

/** Sends an OpenAI error response with its status and headers. */
export function sendOpenAIError(res: Response, error: OpenAIErrorResponse): void {
  if (error.retryAfterSeconds !== undefined) res.set("retry-after", String(error.retryAfterSeconds));
  if (error.runId !== undefined) res.set("x-palyra-run-id", error.runId);
  if (error.approvalId !== undefined) res.set("x-palyra-approval-id", error.approvalId);
  res.status(error.status).json(error.body);
}
