import { Code, ConnectError } from "@connectrpc/connect";
import { createAsyncIterable, encodeEnvelope, readAllBytes, type UniversalServerResponse } from "@connectrpc/connect/protocol";
import { errorFromJsonBytes, errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import { findTrailerError, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { trailerFlag, trailerParse, trailerSerialize } from "@connectrpc/connect/protocol-grpc-web";
import { reclassifyDecodeFailure } from "./error-mapping.js";

/**
 * A unary call whose request could not be read is answered by Connect before any interceptor runs,
 * as a server fault (INTERNAL, UNIMPLEMENTED). This rewrites that answer, in each protocol's own
 * framing, to the INVALID_ARGUMENT reclassifyDecodeFailure makes of it; every other answer passes
 * through untouched. (Streams are mapped by the error-mapping interceptor.)
 */
export async function withDecodeFailuresReclassified(response: UniversalServerResponse): Promise<UniversalServerResponse> {
  const contentType = response.header?.get("content-type") ?? "";
  if (contentType.startsWith("application/grpc-web")) return grpcWeb(response);
  if (response.trailer !== undefined) return grpc(response, response.trailer);
  if (response.status >= 500 && contentType === "application/json") return connectUnary(response);
  return response;
}

/** gRPC: the status is in the trailers, already set when the handler has answered a unary call. */
function grpc(response: UniversalServerResponse, trailer: Headers): UniversalServerResponse {
  const error = findTrailerError(trailer);
  const reclassified = error && reclassifyDecodeFailure(error);
  if (reclassified) setTrailerStatus(trailer, reclassified);
  return response;
}

/** gRPC-web: the status is a trailer frame in the body; an error-only answer is that one frame. */
async function grpcWeb(response: UniversalServerResponse): Promise<UniversalServerResponse> {
  if (response.body === undefined) return response;
  const chunks = (response.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const first = await chunks.next();
  if (first.done) return { ...response, body: createAsyncIterable([]) };
  let head = first.value;
  const isWholeTrailerFrame =
    head[0] === trailerFlag && head.byteLength >= 5 && head.byteLength === 5 + new DataView(head.buffer, head.byteOffset).getUint32(1);
  if (isWholeTrailerFrame) {
    const error = findTrailerError(trailerParse(head.subarray(5)));
    const reclassified = error && reclassifyDecodeFailure(error);
    if (reclassified) head = encodeEnvelope(trailerFlag, trailerSerialize(setTrailerStatus(new Headers(), reclassified)));
  }
  return { ...response, body: prepended(head, chunks) };
}

/** Connect unary: an HTTP error status with a small JSON body (and its Content-Length). */
async function connectUnary(response: UniversalServerResponse): Promise<UniversalServerResponse> {
  if (response.body === undefined) return response;
  const body = await readAllBytes(response.body as AsyncIterable<Uint8Array>, 64 * 1024);
  const reclassified = reclassifyDecodeFailure(errorFromJsonBytes(body, undefined, new ConnectError("internal error", Code.Internal)));
  if (reclassified === undefined) return { ...response, body: createAsyncIterable([body]) };
  const rewritten = errorToJsonBytes(reclassified, {});
  const header = new Headers(response.header);
  header.set("content-length", String(rewritten.byteLength));
  return { ...response, status: 400, header, body: createAsyncIterable([rewritten]) };
}

async function* prepended(head: Uint8Array, rest: AsyncIterator<Uint8Array>): AsyncIterable<Uint8Array> {
  yield head;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}
