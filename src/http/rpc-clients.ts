import { type Client, type ConnectRouter, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { AuthProfileService } from "../../gen/es/palyra/gateway/v1/auth_pb.js";
import { GatewayService } from "../../gen/es/palyra/gateway/v1/gateway_pb.js";
import { ModelsService } from "../../gen/es/palyra/gateway/v1/models_pb.js";
import { createInProcessTransport } from "../rpc/in-process-transport.js";

export interface RpcClients {
  gateway: Client<typeof GatewayService>;
  models: Client<typeof ModelsService>;
  auth: Client<typeof AuthProfileService>;
  /** The transport under the clients, for routes that pick their RPC at run time (the console's). */
  transport: Transport;
}

/**
 * Clients that call the RPCs in process with message objects, through the same implementations and
 * interceptors as the gRPC listener, so /v1 requests take exactly the same path (auth, validation, runs,
 * recording) without a byte round trip.
 */
export function createInProcessClients(routes: (router: ConnectRouter) => void, interceptors: Interceptor[]): RpcClients {
  const transport = createInProcessTransport(routes, interceptors);
  return {
    gateway: createClient(GatewayService, transport),
    models: createClient(ModelsService, transport),
    auth: createClient(AuthProfileService, transport),
    transport,
  };
}
