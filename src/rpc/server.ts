import { once } from "node:events";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { BindAddress } from "../config/bind-address.js";
import { settleWithin } from "../settle-within.js";

/** How long closing waits for connections to finish on their own. */
const closeTimeoutMs = 2000;

export interface RpcServer {
  address: AddressInfo;
  /** Stops accepting connections and lets open streams finish. */
  stopAccepting(): void;
  /** Closes every connection, finished or not. */
  close(): Promise<void>;
}

/** Serves gRPC, gRPC-Web and Connect on one HTTP/2 cleartext listener. */
export async function startRpcServer(options: {
  bind: BindAddress;
  routes: (router: ConnectRouter) => void;
  interceptors: Interceptor[];
}): Promise<RpcServer> {
  const server = http2.createServer(connectNodeAdapter({ routes: options.routes, interceptors: options.interceptors }));
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.bind.port, options.bind.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const closed = new Promise<void>((resolve) => server.once("close", () => resolve()));
  return {
    address: server.address() as AddressInfo,
    stopAccepting: () => {
      server.close();
      // GOAWAY: clients open no new streams here, streams in flight go on.
      for (const session of sessions) session.close();
    },
    close: async () => {
      server.close();
      // Sessions told to close end by themselves once their last stream has flushed its final
      // events and status; only a session still open after the cap is cut off.
      await settleWithin(closeTimeoutMs, [...sessions].map((session) => once(session, "close")));
      for (const session of sessions) session.destroy();
      await closed;
    },
  };
}
