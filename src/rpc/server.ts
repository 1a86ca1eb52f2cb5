import { once } from "node:events";
import http2 from "node:http2";
import type { BindAddress } from "../config/bind-address.js";
import { closeTimeoutMs, type ListeningServer, listen, settleWithin } from "../shared/server-lifecycle.js";
import { createRpcRequestHandler, type RpcHandlerOptions } from "./node-handler.js";

// One client may keep this many calls open at once on a connection; more wait for a free slot.
const maxConcurrentStreams = 1000;

/** Serves gRPC, gRPC-Web and Connect on one HTTP/2 cleartext listener. */
export async function startRpcServer(options: RpcHandlerOptions & { bind: BindAddress }): Promise<ListeningServer> {
  const server = http2.createServer({ settings: { maxConcurrentStreams } }, createRpcRequestHandler(options));
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  const address = await listen(server, options.bind);
  const closed = new Promise<void>((resolve) => server.once("close", () => resolve()));
  return {
    address,
    stopAccepting: () => {
      server.close();
      // GOAWAY: clients open no new streams here, streams in flight go on.
      for (const session of sessions) session.close();
    },
    close: async () => {
      server.close();
      // Sessions told to close end by themselves once their last stream has flushed its final
      // events and status; only a session still open after the cap is cut off.
      await settleWithin(
        closeTimeoutMs,
        [...sessions].map((session) => once(session, "close")),
      );
      for (const session of sessions) session.destroy();
      await closed;
    },
  };
}
