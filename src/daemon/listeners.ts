import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import type { BindAddress } from "../config/bind-address.js";
import type { GatewayMetrics } from "../diagnostics/metrics/gateway-metrics.js";
import type { ConsoleOptions } from "../http/console/console-router.js";
import { startHttpServer } from "../http/server.js";
import type { AccessControl } from "../identity/access.js";
import { metricsInterceptor } from "../rpc/metrics-interceptor.js";
import { startRpcServer } from "../rpc/server.js";
import type { Logger } from "../shared/logger.js";
import type { ListeningServer } from "../shared/server-lifecycle.js";

export interface ListenerOptions {
  grpcBind: BindAddress;
  httpBind: BindAddress;
  routes: (router: ConnectRouter) => void;
  interceptors: Interceptor[];
  access: AccessControl;
  logger: Logger;
  maxBodyBytes: number;
  console: ConsoleOptions;
  metrics: GatewayMetrics;
  metricsPublic: boolean;
}

/**
 * Opens the gRPC/Connect listener, then the HTTP one over the same routes; if the second fails the
 * first is closed again, so a failed start leaves no port held.
 */
export async function startListeners(options: ListenerOptions): Promise<{ rpcServer: ListeningServer; httpServer: ListeningServer }> {
  const { routes, interceptors, access, logger } = options;
  // Calls on the RPC listener are counted by procedure; /v1's in-process calls are counted as HTTP requests.
  const rpcServer = await startRpcServer({
    bind: options.grpcBind,
    routes,
    interceptors: [metricsInterceptor(options.metrics.requests), ...interceptors],
    access,
    logger,
  });
  const httpServer = await startHttpServer({
    bind: options.httpBind,
    routes,
    interceptors,
    access,
    maxBodyBytes: options.maxBodyBytes,
    logger,
    console: options.console,
    metrics: { metrics: options.metrics, public: options.metricsPublic },
  }).catch(async (error: unknown) => {
    await rpcServer.close();
    throw error;
  });
  return { rpcServer, httpServer };
}
