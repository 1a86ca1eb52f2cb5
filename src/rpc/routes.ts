import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { Health } from "../../gen/es/grpc/health/v1/health_pb.js";
import { DiagnosticsService, file_palyra_gateway_v1_diagnostics } from "../../gen/es/palyra/gateway/v1/diagnostics_pb.js";
import { file_palyra_gateway_v1_gateway, GatewayService } from "../../gen/es/palyra/gateway/v1/gateway_pb.js";
import { file_palyra_gateway_v1_models, ModelsService } from "../../gen/es/palyra/gateway/v1/models_pb.js";
import type { DiagnosticsSources } from "../diagnostics/collect-diagnostics.js";
import type { ResponseCache } from "../registry/response-cache.js";
import type { AccessControl } from "../identity/access.js";
import type { Logger } from "../logger.js";
import { createDiagnosticsService } from "./diagnostics-service.js";
import { createGatewayService } from "./gateway-service.js";
import { createHealthService, type HealthStatusBoard } from "./health-service.js";
import { authInterceptor, errorMappingInterceptor } from "./interceptors.js";
import { createModelsService } from "./models-service.js";
import { registerReflection } from "./reflection-service.js";

export interface RpcDeps extends DiagnosticsSources {
  cache: ResponseCache;
  logger: Logger;
  healthBoard: HealthStatusBoard;
}

/** Registers every service. The gRPC listener and the in-process /v1 client both serve these routes. */
export function createRoutes(deps: RpcDeps): (router: ConnectRouter) => void {
  return (router) => {
    router.service(GatewayService, createGatewayService({ engine: deps.engine, logger: deps.logger, startedAt: deps.startedAt }));
    router.service(ModelsService, createModelsService({ registry: deps.registry, health: deps.providerHealth, circuits: deps.circuits, cache: deps.cache, engine: deps.engine }));
    router.service(DiagnosticsService, createDiagnosticsService(deps));
    router.service(Health, createHealthService(deps.healthBoard));
    registerReflection(router, [file_palyra_gateway_v1_gateway, file_palyra_gateway_v1_models, file_palyra_gateway_v1_diagnostics]);
  };
}

/** Outermost first: errors from authentication are mapped like any other. */
export function createInterceptors(access: AccessControl): Interceptor[] {
  return [errorMappingInterceptor, authInterceptor(access)];
}
