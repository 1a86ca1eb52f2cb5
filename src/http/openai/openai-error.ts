import { ConnectError } from "@connectrpc/connect";
import type { Response } from "express";
import { type ErrorDetail, ErrorDetailSchema } from "../../../gen/es/palyra/gateway/v1/common_pb.js";
import { toErrorDetail } from "../../rpc/error-mapping.js";
import { kindFromCode, kindFromProto, presentationOf } from "../../rpc/error-table.js";
import { clip } from "../../shared/clip.js";
import { type ErrorKind, GatewayError } from "../../shared/errors.js";

// Statuses and OpenAI error types come from the one table (rpc/error-table.ts) by the error's kind;
// the only other statuses are HTTP's own refinements of invalid_request (413, 415) that no kind names,
// given by the adapter's refusals (OpenAIRequestError's `status`).

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

  /** `status` only where HTTP says more than the kind does (413 for a body too large); else the kind's. */
  constructor(message: string, options: { param?: string | null; kind?: ErrorKind; status?: number; code?: string } = {}) {
    super(message);
    const { httpStatus, openaiType } = presentationOf(options.kind ?? "invalid_request");
    this.param = options.param ?? null;
    this.status = options.status ?? httpStatus;
    this.code = options.code ?? "invalid_value";
    this.type = openaiType;
  }
}

export function toOpenAIError(error: unknown): OpenAIErrorResponse {
  const refusal = error instanceof OpenAIRequestError ? error : expressRefusal(error);
  if (refusal !== undefined) return { status: refusal.status, body: body(refusal.message, refusal.type, refusal.param, refusal.code) };
  if (error instanceof GatewayError) return fromErrorDetail(error.message, toErrorDetail(error));
  if (!(error instanceof ConnectError)) {
    return openAIError("internal", "The gateway failed to process the request", { code: "internal_error" });
  }
  const detail = error.findDetails(ErrorDetailSchema)[0];
  // Connect's own errors (a deadline, an undecodable message) carry no detail: their code is all there is.
  return detail === undefined ? openAIError(kindFromCode(error.code), error.rawMessage, {}) : fromErrorDetail(error.rawMessage, detail);
}

/** The OpenAI error for a run that failed after it started (a RunFailed event). */
export function fromErrorDetail(message: string, detail: Pick<ErrorDetail, "kind"> & ErrorExtras): OpenAIErrorResponse {
  return openAIError(kindFromProto(detail.kind), message, detail);
}

type ErrorExtras = Partial<Omit<ErrorDetail, "$typeName" | "kind">>;

function openAIError(kind: ErrorKind, message: string, detail: ErrorExtras): OpenAIErrorResponse {
  const { httpStatus, openaiType } = presentationOf(kind);
  return {
    status: httpStatus,
    body: body(message, openaiType, detail.param || null, detail.code || null),
    ...(detail.retryAfterMs ? { retryAfterSeconds: Math.ceil(detail.retryAfterMs / 1000) } : {}),
    ...(detail.runId ? { runId: detail.runId } : {}),
    ...(detail.approvalId ? { approvalId: detail.approvalId } : {}),
  };
}

function body(message: string, type: string, param: string | null, code: string | null): OpenAIErrorBody {
  return { error: { message, type, param, code } };
}

/**
 * Errors that express itself raises with a 4xx status before any route (bad percent-encoding in a
 * path, "%ZZ"): the request's fault, and their message says what is wrong. (The JSON body reader and
 * the upload handler throw OpenAIRequestErrors of their own.)
 */
function expressRefusal(error: unknown): OpenAIRequestError | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { message, status } = error as { message?: unknown; status?: unknown };
  if (typeof status !== "number" || status < 400 || status >= 500) return undefined;
  const text = typeof message === "string" ? clip(message, 512) : "";
  return new OpenAIRequestError(`The request could not be read: ${text}`, { status, code: "invalid_request" });
}

/** Sends an OpenAI error response with its status and headers. */
export function sendOpenAIError(res: Response, error: OpenAIErrorResponse): void {
  if (error.retryAfterSeconds !== undefined) res.set("retry-after", String(error.retryAfterSeconds));
  if (error.runId !== undefined) res.set("x-palyra-run-id", error.runId);
  if (error.approvalId !== undefined) res.set("x-palyra-approval-id", error.approvalId);
  res.status(error.status).json(error.body);
}
