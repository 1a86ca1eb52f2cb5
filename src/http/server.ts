import http from "node:http";
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import type { BindAddress } from "../config/bind-address.js";
import type { AccessControl } from "../identity/access.js";
import type { Logger } from "../shared/logger.js";
import { closeTimeoutMs, type ListeningServer, listen, settleWithin } from "../shared/server-lifecycle.js";
import { createHttpApp } from "./app.js";
import type { ConsoleOptions } from "./console/console-router.js";
import { createInProcessClients } from "./rpc-clients.js";

/** Serves the HTTP/1.1 app on its own listener; its /v1 routes call the RPC routes in-process. */
export async function startHttpServer(options: {
  bind: BindAddress;
  routes: (router: ConnectRouter) => void;
  interceptors: Interceptor[];
  access: AccessControl;
  maxBodyBytes: number;
  logger: Logger;
  console: ConsoleOptions;
}): Promise<ListeningServer> {
  const app = createHttpApp({
    clients: createInProcessClients(options.routes, options.interceptors),
    access: options.access,
    maxBodyBytes: options.maxBodyBytes,
    logger: options.logger,
    startedAt: Date.now(),
    console: options.console,
  });
  const server = http.createServer(app);
  const address = await listen(server, options.bind);
  const closed = new Promise<void>((resolve) => server.once("close", () => resolve()));
  return {
    address,
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
