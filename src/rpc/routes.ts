import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { Health } from "../../gen/es/grpc/health/v1/health_pb.js";
import { ApiKeysService, file_palyra_gateway_v1_api_keys } from "../../gen/es/palyra/gateway/v1/api_keys_pb.js";
import { AuthProfileService, file_palyra_gateway_v1_auth } from "../../gen/es/palyra/gateway/v1/auth_pb.js";
import { CronService, file_palyra_gateway_v1_cron } from "../../gen/es/palyra/gateway/v1/cron_pb.js";
import { DiagnosticsService, file_palyra_gateway_v1_diagnostics } from "../../gen/es/palyra/gateway/v1/diagnostics_pb.js";
import { file_palyra_gateway_v1_gateway, GatewayService } from "../../gen/es/palyra/gateway/v1/gateway_pb.js";
import { file_palyra_gateway_v1_memory, MemoryService } from "../../gen/es/palyra/gateway/v1/memory_pb.js";
import { file_palyra_gateway_v1_models, ModelsService } from "../../gen/es/palyra/gateway/v1/models_pb.js";
import { file_palyra_gateway_v1_tasks, TasksService } from "../../gen/es/palyra/gateway/v1/tasks_pb.js";
import { file_palyra_gateway_v1_usage, UsageService } from "../../gen/es/palyra/gateway/v1/usage_pb.js";
import { file_palyra_gateway_v1_vault, VaultService } from "../../gen/es/palyra/gateway/v1/vault_pb.js";
import type { CronJobs } from "../automation/cron-jobs.js";
import type { TaskQueue } from "../automation/task-queue.js";
import type { DiagnosticsSources } from "../diagnostics/collect-diagnostics.js";
import type { BudgetAdministration } from "../governance/budgets/budget-administration.js";
import type { PriceCatalog } from "../governance/pricing/price-catalog.js";
import type { AccessControl } from "../identity/access.js";
import type { ApiKeys } from "../identity/api-keys/api-keys.js";
import type { AuthCore } from "../identity/auth-core.js";
import type { Vault } from "../identity/vault/vault.js";
import type { MemoryJournal } from "../memory/memory-journal.js";
import type { ResponseCache } from "../registry/response-cache.js";
import type { Logger } from "../shared/logger.js";
import { createApiKeysService } from "./api-keys-service.js";
import { createAuthProfileService } from "./auth-profile-service.js";
import { createCronService } from "./cron-service.js";
import { createDiagnosticsService, type ReloadConfig, type RunAudit } from "./diagnostics-service.js";
import { createGatewayService } from "./gateway-service.js";
import { createHealthService, type HealthStatusBoard } from "./health-service.js";
import { authInterceptor, errorMappingInterceptor } from "./interceptors.js";
import { createMemoryService } from "./memory-service.js";
import { createModelsService } from "./models-service.js";
import { registerService } from "./receive-limits.js";
import { registerReflection } from "./reflection-service.js";
import { createTasksService } from "./tasks-service.js";
import { createBudgetHandlers } from "./usage-budget-handlers.js";
import { createPricingHandlers } from "./usage-pricing-handlers.js";
import { createUsageService } from "./usage-service.js";
import { createVaultService } from "./vault-service.js";

export interface RpcDeps extends DiagnosticsSources {
  cache: ResponseCache;
  logger: Logger;
  healthBoard: HealthStatusBoard;
  apiKeys: ApiKeys;
  vault: Vault;
  auth: AuthCore;
  priceCatalog: PriceCatalog;
  budgets: BudgetAdministration;
  tasks: TaskQueue;
  cronJobs: CronJobs;
  /** DiagnosticsService.RunAudit: the integrity audit, as main.ts wires it. */
  runAudit: RunAudit;
  /** DiagnosticsService.ReloadConfig: the live reload, as main.ts wires it. */
  reloadConfig: ReloadConfig;
  memory: MemoryJournal;
}

/** Registers every service. The gRPC listener and the in-process /v1 client both serve these routes. */
export function createRoutes(deps: RpcDeps): (router: ConnectRouter) => void {
  // Built once: the gRPC listener and the in-process /v1 transport register the same implementations.
  // Read once: the body limit and the usage time zone take effect on restart (daemon/config-changes.ts).
  const startConfig = deps.configInForce().config;
  const limits = { maxBodyBytes: startConfig.daemon.max_request_body_bytes };
  const pricing = createPricingHandlers({
    db: deps.store.db,
    catalog: deps.priceCatalog,
    registry: deps.registry,
    timeZone: startConfig.usage.timezone,
  });
  const gateway = createGatewayService({ engine: deps.engine, startedAt: deps.startedAt });
  const models = createModelsService({ registry: deps.registry, health: deps.providerHealth, circuits: deps.circuits, cache: deps.cache, engine: deps.engine });
  const diagnostics = createDiagnosticsService(deps, deps.runAudit, deps.reloadConfig);
  const vault = createVaultService(deps.vault);
  const apiKeys = createApiKeysService(deps.apiKeys);
  const authProfiles = createAuthProfileService(deps.auth);
  const usage = createUsageService(pricing, createBudgetHandlers({ budgets: deps.budgets }));
  const health = createHealthService(deps.healthBoard);
  const tasks = createTasksService(deps.tasks);
  const cron = createCronService(deps.cronJobs);
  const memory = createMemoryService(deps.memory);
  return (router) => {
    registerService(router, GatewayService, gateway, limits);
    registerService(router, ModelsService, models, limits);
    registerService(router, DiagnosticsService, diagnostics, limits);
    registerService(router, VaultService, vault, limits);
    registerService(router, ApiKeysService, apiKeys, limits);
    registerService(router, AuthProfileService, authProfiles, limits);
    registerService(router, UsageService, usage, limits);
    registerService(router, TasksService, tasks, limits);
    registerService(router, CronService, cron, limits);
    registerService(router, MemoryService, memory, limits);
    registerService(router, Health, health, limits);
    registerReflection(router, [
      file_palyra_gateway_v1_gateway,
      file_palyra_gateway_v1_models,
      file_palyra_gateway_v1_diagnostics,
      file_palyra_gateway_v1_api_keys,
      file_palyra_gateway_v1_vault,
      file_palyra_gateway_v1_auth,
      file_palyra_gateway_v1_usage,
      file_palyra_gateway_v1_tasks,
      file_palyra_gateway_v1_cron,
      file_palyra_gateway_v1_memory,
    ]);
  };
}

/** Outermost first: errors from authentication are mapped like any other. */
export function createInterceptors(access: AccessControl): Interceptor[] {
  return [errorMappingInterceptor, authInterceptor(access)];
}
