import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { ApiKeysService } from "../../../gen/es/palyra/gateway/v1/api_keys_pb.js";
import { AuthProfileService } from "../../../gen/es/palyra/gateway/v1/auth_pb.js";
import { CronService } from "../../../gen/es/palyra/gateway/v1/cron_pb.js";
import { DiagnosticsService } from "../../../gen/es/palyra/gateway/v1/diagnostics_pb.js";
import { GatewayService } from "../../../gen/es/palyra/gateway/v1/gateway_pb.js";
import { ModelsService } from "../../../gen/es/palyra/gateway/v1/models_pb.js";
import { TasksService } from "../../../gen/es/palyra/gateway/v1/tasks_pb.js";
import { UsageService } from "../../../gen/es/palyra/gateway/v1/usage_pb.js";

// What the console's pages read and change, and nothing more: a stolen session cannot reach the vault,
// rotate keys, rewrite budgets or prices, or delete jobs. Each entry is one unary RPC; its scope and its
// logic are the RPC's own (rpc/procedure-scopes.ts).
const allowed: ReadonlyArray<[DescService, readonly string[]]> = [
  [GatewayService, ["GetHealth"]],
  [ModelsService, ["ListModels", "GetModelsStatus", "TestConnection", "ExplainRouting"]],
  [UsageService, ["GetUsageSummary", "ListBudgetPolicies", "ListAlerts", "ListApprovals", "DecideApproval", "ListPricing"]],
  [CronService, ["ListJobs", "GetJob", "ListJobRuns", "RunJobNow", "UpdateJob"]],
  [TasksService, ["ListTasks", "GetTask", "CancelTask"]],
  [DiagnosticsService, ["GetDiagnostics", "ListIncidents"]],
  [AuthProfileService, ["ListProfiles", "GetAuthHealth", "ConnectApiKey"]],
  [ApiKeysService, ["ListApiKeys", "CreateApiKey", "RevokeApiKey"]],
];

/** The console's procedures by "<package.Service>/<Method>", as in the Connect URL. */
export const consoleProcedures: ReadonlyMap<string, DescMethod> = new Map(
  allowed.flatMap(([service, names]) =>
    names.map((name) => {
      const method = service.methods.find((candidate) => candidate.name === name);
      if (method === undefined || method.methodKind !== "unary") throw new Error(`${service.typeName}/${name} is not a unary RPC`);
      return [`${service.typeName}/${name}`, method] as const;
    }),
  ),
);

export const getDiagnosticsMethod = DiagnosticsService.method.getDiagnostics;
