import { Code } from "@connectrpc/connect";
import { ErrorKind as ProtoErrorKind } from "../../gen/es/palyra/gateway/v1/common_pb.js";
import type { ErrorKind } from "../shared/errors.js";

/**
 * The one error table: how each core error kind shows on every surface. It lives in rpc/ because
 * http/ may import rpc/ and not the reverse; nothing else maps kinds to codes, statuses or types.
 */
export interface ErrorPresentation {
  /** ErrorDetail.kind and RunFailed.kind on the wire. */
  readonly proto: ProtoErrorKind;
  /** The Connect / gRPC status code. */
  readonly grpcCode: Code;
  /** The HTTP status of a /v1 answer. */
  readonly httpStatus: number;
  /** The `type` of an OpenAI error body; the SDKs pick their exception class by the status. */
  readonly openaiType: string;
}

export function presentationOf(kind: ErrorKind): ErrorPresentation {
  switch (kind) {
    case "invalid_request": // the caller's request breaks a rule; sending it again will not help
      return row(ProtoErrorKind.INVALID_REQUEST, Code.InvalidArgument, 400, "invalid_request_error");
    case "not_found": // a model, profile or record the caller named does not exist; OpenAI says so as a bad request
      return row(ProtoErrorKind.NOT_FOUND, Code.NotFound, 404, "invalid_request_error");
    case "auth": // no credential, or one we do not recognise
      return row(ProtoErrorKind.AUTH, Code.Unauthenticated, 401, "authentication_error");
    case "permission": // a known caller whose key lacks the scope the call needs
      return row(ProtoErrorKind.PERMISSION, Code.PermissionDenied, 403, "permission_error");
    case "rate_limit": // not now: a key's or a provider's request rate resets with time
      return row(ProtoErrorKind.RATE_LIMIT, Code.ResourceExhausted, 429, "rate_limit_error");
    case "quota": // the provider account is out of credit: OpenAI's own type for exactly that
      return row(ProtoErrorKind.QUOTA, Code.ResourceExhausted, 429, "insufficient_quota");
    case "budget_exceeded": // our own budget refuses before dispatch: "not this much" until the interval rolls over
      return row(ProtoErrorKind.BUDGET_EXCEEDED, Code.ResourceExhausted, 429, "rate_limit_error");
    case "context_overflow": // more than the model takes: the request must shrink, so the caller's fault
      return row(ProtoErrorKind.CONTEXT_OVERFLOW, Code.InvalidArgument, 400, "invalid_request_error");
    case "content_policy": // content the provider refuses: only a different request helps
      return row(ProtoErrorKind.CONTENT_POLICY, Code.InvalidArgument, 400, "invalid_request_error");
    case "timeout": // the upstream did not answer in time: a gateway timeout
      return row(ProtoErrorKind.TIMEOUT, Code.DeadlineExceeded, 504, "timeout_error");
    case "unavailable": // no provider could take the request now; later may work
      return row(ProtoErrorKind.UNAVAILABLE, Code.Unavailable, 503, "service_unavailable_error");
    case "circuit_open": // the provider's breaker is open after repeated failures; it half-opens after the cooldown
      return row(ProtoErrorKind.CIRCUIT_OPEN, Code.Unavailable, 503, "service_unavailable_error");
    case "transient": // the upstream failed in a way a retry can fix (5xx, overloaded)
      return row(ProtoErrorKind.TRANSIENT, Code.Unavailable, 503, "service_unavailable_error");
    case "network": // the upstream could not be reached or the connection broke
      return row(ProtoErrorKind.NETWORK, Code.Unavailable, 503, "service_unavailable_error");
    case "permanent": // the upstream refused in a way retrying will not change: a bad gateway, not the caller's request
      return row(ProtoErrorKind.PERMANENT, Code.FailedPrecondition, 502, "api_error");
    case "malformed_response": // the upstream answered something we cannot read: a bad gateway
      return row(ProtoErrorKind.MALFORMED_RESPONSE, Code.Internal, 502, "api_error");
    case "cancelled": // the caller (or an operator) cancelled; 499 is the de-facto "client closed request"
      return row(ProtoErrorKind.CANCELLED, Code.Canceled, 499, "request_cancelled");
    case "internal": // our own fault
      return row(ProtoErrorKind.INTERNAL, Code.Internal, 500, "api_error");
    case "approval_required": // held until an operator decides; a conflict the caller resolves by presenting the approval
      return row(ProtoErrorKind.APPROVAL_REQUIRED, Code.FailedPrecondition, 409, "approval_required");
    default:
      return unreachable(kind, presentationOf("internal"));
  }
}

/** The wire ErrorKind of a core kind. */
export function toProtoErrorKind(kind: ErrorKind): ProtoErrorKind {
  return presentationOf(kind).proto;
}

/** The core kind of a wire ErrorKind; the inverse of toProtoErrorKind. */
export function kindFromProto(kind: ProtoErrorKind): ErrorKind {
  switch (kind) {
    case ProtoErrorKind.INVALID_REQUEST:
      return "invalid_request";
    case ProtoErrorKind.NOT_FOUND:
      return "not_found";
    case ProtoErrorKind.AUTH:
      return "auth";
    case ProtoErrorKind.PERMISSION:
      return "permission";
    case ProtoErrorKind.RATE_LIMIT:
      return "rate_limit";
    case ProtoErrorKind.QUOTA:
      return "quota";
    case ProtoErrorKind.BUDGET_EXCEEDED:
      return "budget_exceeded";
    case ProtoErrorKind.CONTEXT_OVERFLOW:
      return "context_overflow";
    case ProtoErrorKind.CONTENT_POLICY:
      return "content_policy";
    case ProtoErrorKind.TIMEOUT:
      return "timeout";
    case ProtoErrorKind.UNAVAILABLE:
      return "unavailable";
    case ProtoErrorKind.CIRCUIT_OPEN:
      return "circuit_open";
    case ProtoErrorKind.TRANSIENT:
      return "transient";
    case ProtoErrorKind.PERMANENT:
      return "permanent";
    case ProtoErrorKind.MALFORMED_RESPONSE:
      return "malformed_response";
    case ProtoErrorKind.NETWORK:
      return "network";
    case ProtoErrorKind.CANCELLED:
      return "cancelled";
    case ProtoErrorKind.INTERNAL:
      return "internal";
    case ProtoErrorKind.APPROVAL_REQUIRED:
      return "approval_required";
    case ProtoErrorKind.UNSPECIFIED: // a sender that set no kind told us nothing: treat it as our fault
      return "internal";
    default:
      // A value from a newer peer's enum (proto3 enums are open) is not one we can present better.
      return unreachable(kind, "internal");
  }
}

/**
 * The core kind for a ConnectError without an ErrorDetail. Every error our handlers throw carries one
 * (the error interceptor attaches it), so these are Connect's own: a deadline, a cancelled call, a
 * message that does not decode or is too large, an unknown procedure.
 */
export function kindFromCode(code: Code): ErrorKind {
  switch (code) {
    case Code.Canceled: // the call's signal aborted: the caller went away
      return "cancelled";
    case Code.Unknown: // nothing said what went wrong
      return "internal";
    case Code.InvalidArgument: // the request did not decode or validate
      return "invalid_request";
    case Code.DeadlineExceeded: // the call's own deadline passed
      return "timeout";
    case Code.NotFound:
      return "not_found";
    case Code.AlreadyExists: // the request conflicts with what exists: the caller's to resolve
      return "invalid_request";
    case Code.PermissionDenied:
      return "permission";
    case Code.ResourceExhausted: // a rate or size limit; without a detail, "slow down" is the safe reading
      return "rate_limit";
    case Code.FailedPrecondition: // the system is not in the state the request needs: the caller's to fix first
      return "invalid_request";
    case Code.Aborted: // a concurrency conflict; trying again can succeed
      return "transient";
    case Code.OutOfRange: // the caller asked past the end
      return "invalid_request";
    case Code.Unimplemented: // the adapter called a procedure the server lacks: our bug
      return "internal";
    case Code.Internal:
      return "internal";
    case Code.Unavailable:
      return "unavailable";
    case Code.DataLoss:
      return "internal";
    case Code.Unauthenticated:
      return "auth";
    default:
      return unreachable(code, "internal");
  }
}

function row(proto: ProtoErrorKind, grpcCode: Code, httpStatus: number, openaiType: string): ErrorPresentation {
  return { proto, grpcCode, httpStatus, openaiType };
}

/**
 * Closes an exhaustive switch. Compile time: `never` fails the type check when a case is missing.
 * Run time: a value from outside the type system (a cast, a newer peer's enum) gets the fallback.
 */
function unreachable<T>(value: never, fallback: T): T {
  void value;
  return fallback;
}
