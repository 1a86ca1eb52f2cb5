import { Code, ConnectError } from "@connectrpc/connect";
import { type ErrorDetail, ErrorDetailSchema } from "../../gen/es/palyra/gateway/v1/common_pb.js";
import { clip } from "../shared/clip.js";
import { type ErrorKind, GatewayError, toGatewayError } from "../shared/errors.js";
import { kindFromCode, kindFromProto, presentationOf, toProtoErrorKind } from "./error-table.js";

// Core errors become ConnectErrors here, by the one table in error-table.ts; the kind travels with
// the error as an ErrorDetail, so every surface (gRPC, /v1) presents it by the kind, not by the code.

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
  return connectErrorOf(toGatewayError(error));
}

/** The core kind a ConnectError stands for: its ErrorDetail's, or (Connect's own errors carry none) its code's. */
export function kindOfConnectError(error: ConnectError): ErrorKind {
  const detail = error.findDetails(ErrorDetailSchema)[0];
  return detail === undefined ? kindFromCode(error.code) : kindFromProto(detail.kind);
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
  return connectErrorOf(new GatewayError("invalid_request", `the request could not be read: ${error.rawMessage}`, { code: "invalid_message" }));
}

function connectErrorOf(error: GatewayError): ConnectError {
  return new ConnectError(clipMessage(error.message), presentationOf(error.kind).grpcCode, undefined, [
    { desc: ErrorDetailSchema, value: toErrorDetail(error) },
  ]);
}

// Error messages travel in a header (grpc-message) that HTTP/2 peers cap at a few KB: a message that
// quotes a caller's 70 KB value would get the whole stream reset instead of the error delivered.
const maxMessageLength = 1024;

function clipMessage(message: string): string {
  return clip(message, maxMessageLength);
}
