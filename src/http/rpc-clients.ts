import { type Client, type ConnectRouter, createClient, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { AuthProfileService } from "../../gen/es/palyra/gateway/v1/auth_pb.js";
import { GatewayService } from "../../gen/es/palyra/gateway/v1/gateway_pb.js";
import { ModelsService } from "../../gen/es/palyra/gateway/v1/models_pb.js";

export interface RpcClients {
  gateway: Client<typeof GatewayService>;
  models: Client<typeof ModelsService>;
  auth: Client<typeof AuthProfileService>;
}

/**
 * Clients that call the RPCs in-process, through the same routes and interceptors as the gRPC
 * listener, so /v1 requests take exactly the same path (auth, validation, runs, recording).
 */
export function createInProcessClients(routes: (router: ConnectRouter) => void, interceptors: Interceptor[]): RpcClients {
  const transport = createRouterTransport(routes, { router: { interceptors } });
  return { gateway: createClient(GatewayService, transport), models: createClient(ModelsService, transport), auth: createClient(AuthProfileService, transport) };
}
