/**
 * The core error vocabulary. Every core throws GatewayError with a kind; one table, rpc/error-table.ts,
 * says how each kind shows on every surface (gRPC code, HTTP status, OpenAI type, proto ErrorKind).
 * Adding a kind: here, in ErrorKind in common.proto (a new number, never a reused one), and in the table;
 * the type check and test/unit/error-table.test.ts fail until all three agree.
 */
export const errorKinds = [
  "invalid_request",
  "not_found",
  "auth",
  "permission",
  "rate_limit",
  "quota",
  "budget_exceeded",
  "context_overflow",
  "content_policy",
  "timeout",
  "unavailable",
  "circuit_open",
  "transient",
  "permanent",
  "malformed_response",
  "network",
  "cancelled",
  "internal",
  "approval_required",
] as const;

export type ErrorKind = (typeof errorKinds)[number];

export interface GatewayErrorOptions {
  /** The request field at fault, dotted ("messages[2].role"). */
  param?: string;
  /** A stable machine-readable code such as "model_not_found". */
  code?: string;
  retryAfterMs?: number;
  /** approval_required: the approval an operator must decide, and the caller then presents. */
  approvalId?: string;
  cause?: unknown;
}

export class GatewayError extends Error {
  override readonly name = "GatewayError";
  readonly param: string | undefined;
  readonly code: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly approvalId: string | undefined;

  constructor(
    readonly kind: ErrorKind,
    message: string,
    options: GatewayErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.param = options.param;
    this.code = options.code;
    this.retryAfterMs = options.retryAfterMs;
    this.approvalId = options.approvalId;
  }
}

/** Wraps anything thrown into a GatewayError, keeping GatewayErrors as they are. */
export function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error instanceof Error && error.name === "AbortError") {
    return new GatewayError("cancelled", "the run was cancelled", { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new GatewayError("internal", `internal error: ${message}`, { cause: error });
}

export function invalidRequest(param: string, message: string): GatewayError {
  return new GatewayError("invalid_request", `${param}: ${message}`, { param, code: "invalid_value" });
}
