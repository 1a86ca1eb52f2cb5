import http from "node:http";
import type { AddressInfo } from "node:net";
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import type { BindAddress } from "../config/bind-address.js";
import type { AccessControl } from "../identity/access.js";
import type { Logger } from "../logger.js";
import { createHttpApp } from "./app.js";
import { createInProcessClients } from "./rpc-clients.js";
import { settleWithin } from "../settle-within.js";

/** How long closing waits for connections to finish on their own. */
const closeTimeoutMs = 2000;

export interface HttpServer {
  address: AddressInfo;
  /** Stops accepting connections and closes idle ones; requests in flight go on. */
  stopAccepting(): void;
  /** Closes every connection. */
  close(): Promise<void>;
}

/** Serves the HTTP/1.1 app on its own listener; its /v1 routes call the RPC routes in-process. */
export async function startHttpServer(options: {
  bind: BindAddress;
  routes: (router: ConnectRouter) => void;
  interceptors: Interceptor[];
  access: AccessControl;
  maxBodyBytes: number;
  logger: Logger;
}): Promise<HttpServer> {
  const app = createHttpApp({
    clients: createInProcessClients(options.routes, options.interceptors),
    access: options.access,
    maxBodyBytes: options.maxBodyBytes,
    logger: options.logger,
    startedAt: Date.now(),
  });
  const server = http.createServer(app);
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
      server.closeIdleConnections();
    },
    close: async () => {
      server.close();
      server.closeIdleConnections();
      // Responses still being written (the end of an SSE stream) get a moment to flush.
      await settleWithin(closeTimeoutMs, [closed]);
      server.closeAllConnections();
      await closed;
    },
  };
}
