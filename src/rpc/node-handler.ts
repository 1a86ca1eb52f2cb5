import http2, { type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import { Code, ConnectError, type ConnectRouter, createConnectRouter, createContextValues, type Interceptor } from "@connectrpc/connect";
import { createAsyncIterable, encodeEnvelope, type UniversalHandler } from "@connectrpc/connect/protocol";
import { compressionBrotli, compressionGzip, universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import type { AccessControl } from "../identity/access.js";
import type { Logger } from "../shared/logger.js";
import { preflightCredentialKey } from "./caller-context.js";
import { withDecodeFailuresReclassified } from "./decode-failures.js";
import { procedureAccess } from "./procedure-scopes.js";

export interface RpcHandlerOptions {
  routes: (router: ConnectRouter) => void;
  interceptors: Interceptor[];
  access: AccessControl;
  logger: Logger;
}

/**
 * The gRPC listener's request handler: Connect's router, with two steps of our own around it.
 * - The credential is checked on the headers before the body is read, so an unauthenticated caller
 *   cannot make the daemon buffer a message (each service's receive limit caps an authenticated one).
 *   A refusal is answered by the same handler and interceptors, fed an empty message in place of the
 *   unread body, so it has exactly the shape of every other error of the caller's protocol.
 * - A request message that does not decode is the caller's mistake: INVALID_ARGUMENT, where Connect
 *   answers INTERNAL for unary calls (streams are mapped by the error-mapping interceptor).
 */
export function createRpcRequestHandler(options: RpcHandlerOptions): (req: Http2ServerRequest, res: Http2ServerResponse) => void {
  const router = createConnectRouter({ interceptors: options.interceptors, acceptCompression: [compressionGzip, compressionBrotli] });
  options.routes(router);
  const handlers = new Map(router.handlers.map((handler) => [handler.requestPath, handler]));

  return (req, res) => {
    const handler = handlers.get(req.url.split("?", 1)[0] ?? "");
    if (handler === undefined) {
      res.writeHead(404).end();
      return;
    }
    serve(handler, req, res, options).catch((error: unknown) => {
      // Only a broken connection gets here; the caller has gone and there is no one left to answer.
      if (ConnectError.from(error).code !== Code.Aborted) options.logger.warn({ err: error, procedure: handler.requestPath }, "an RPC could not be answered");
    });
  };
}

async function serve(handler: UniversalHandler, req: Http2ServerRequest, res: Http2ServerResponse, options: RpcHandlerOptions): Promise<void> {
  const contextValues = createContextValues();
  let request = universalRequestFromNodeRequest(req, res, undefined, contextValues);
  if (procedureAccess(handler.service.typeName, handler.requestPath) !== "public") {
    try {
      contextValues.set(preflightCredentialKey, { verified: await options.access.verify(req.headers.authorization) });
    } catch (refused) {
      contextValues.set(preflightCredentialKey, { refused });
      const header = new Headers(request.header);
      for (const name of ["content-encoding", "grpc-encoding", "connect-content-encoding"]) header.delete(name);
      request = { ...request, header, body: emptyMessage(header.get("content-type") ?? "") };
    }
  }
  const response = await handler(request);
  await universalResponseToNodeResponse(await withDecodeFailuresReclassified(response), res);
  // The answer is complete but the caller is still sending (a refused or oversized request): tell it to
  // stop (RST_STREAM NO_ERROR, as HTTP/2 provides for this) rather than hold its unread data in memory.
  if (!req.readableEnded && !res.stream.destroyed) res.stream.close(http2.constants.NGHTTP2_NO_ERROR);
}

/** An empty request message in the framing of the request's protocol (gRPC, gRPC-web, Connect; binary or JSON). */
function emptyMessage(contentType: string): AsyncIterable<Uint8Array> {
  const payload = contentType.includes("json") ? new TextEncoder().encode("{}") : new Uint8Array(0);
  const enveloped = /^application\/(grpc|connect\+)/.test(contentType);
  return createAsyncIterable([enveloped ? encodeEnvelope(0, payload) : payload]);
}
