import { Code, ConnectError } from "@connectrpc/connect";
import { type ErrorDetail, ErrorDetailSchema, ErrorKind as ProtoErrorKind } from "../../gen/es/palyra/gateway/v1/common_pb.js";
import { type ErrorKind, GatewayError, toGatewayError } from "../shared/errors.js";
import { clip } from "../shared/clip.js";

/** The one place core error kinds become Connect codes. */
const codeByKind: Record<ErrorKind, Code> = {
  invalid_request: Code.InvalidArgument,
  not_found: Code.NotFound,
  auth: Code.Unauthenticated,
  permission: Code.PermissionDenied,
  // Rate limits, provider quotas and our own budgets all mean "not now, not this much".
  rate_limit: Code.ResourceExhausted,
  quota: Code.ResourceExhausted,
  budget_exceeded: Code.ResourceExhausted,
  // The caller sent more than the model takes, or content it refuses: the request is at fault.
  context_overflow: Code.InvalidArgument,
  content_policy: Code.InvalidArgument,
  timeout: Code.DeadlineExceeded,
  // Conditions that may pass: retrying later (or elsewhere) can succeed.
  unavailable: Code.Unavailable,
  circuit_open: Code.Unavailable,
  transient: Code.Unavailable,
  network: Code.Unavailable,
  // The upstream refused in a way retrying will not change, or answered nonsense.
  permanent: Code.FailedPrecondition,
  malformed_response: Code.Internal,
  cancelled: Code.Canceled,
  internal: Code.Internal,
  // The request waits on a human decision before it may run.
  approval_required: Code.FailedPrecondition,
};

export function toProtoErrorKind(kind: ErrorKind): ProtoErrorKind {
  const key = kind.toUpperCase() as keyof typeof ProtoErrorKind;
  return ProtoErrorKind[key] ?? ProtoErrorKind.INTERNAL;
}

export function toErrorDetail(error: GatewayError, runId = ""): Omit<ErrorDetail, "$typeName"> {
  return {
    kind: toProtoErrorKind(error.kind),
    param: error.param ?? "",
    code: error.code ?? error.kind,
    retryAfterMs: error.retryAfterMs ?? 0,
    runId,
    approvalId: error.approvalId ?? "",
  };
}

/** Converts anything a handler throws into a ConnectError carrying an ErrorDetail. */
export function toConnectError(error: unknown): ConnectError {
  if (error instanceof ConnectError) return reclassifyDecodeFailure(error) ?? error;
  const gatewayError = toGatewayError(error);
  return new ConnectError(clipMessage(gatewayError.message), codeByKind[gatewayError.kind], undefined, [
    { desc: ErrorDetailSchema, value: toErrorDetail(gatewayError) },
  ]);
}

/**
 * Connect reports a request it cannot read as a server fault: a message that does not decode as
 * INTERNAL ("parse binary: …"), a unary call with no message or two as UNIMPLEMENTED ("protocol
 * error: …"). Both are the caller's mistake, so they become INVALID_ARGUMENT. Undefined for every
 * other error.
 */
export function reclassifyDecodeFailure(error: ConnectError): ConnectError | undefined {
  const undecodable = error.code === Code.Internal && /^parse (binary|JSON)\b/.test(error.rawMessage);
  const misframed = error.code === Code.Unimplemented && error.rawMessage.startsWith("protocol error:");
  if (!undecodable && !misframed) return undefined;
  const gatewayError = new GatewayError("invalid_request", `the request could not be read: ${error.rawMessage}`, { code: "invalid_message" });
  return new ConnectError(clipMessage(gatewayError.message), Code.InvalidArgument, undefined, [{ desc: ErrorDetailSchema, value: toErrorDetail(gatewayError) }]);
}

// Error messages travel in a header (grpc-message) that HTTP/2 peers cap at a few KB: a message that
// quotes a caller's 70 KB value would get the whole stream reset instead of the error delivered.
const maxMessageLength = 1024;

function clipMessage(message: string): string {
  return clip(message, maxMessageLength);
}
