import type { CallNeeds } from "../identity/access.js";
import type { Scope } from "../identity/api-keys/scopes.js";

// The one place that says what each procedure needs. Every procedure of every service is listed,
// admin-only ones included (a unit test checks this against the generated descriptors), so adding
// an RPC means deciding its scope; one missing from the table still needs "admin".

/** Services anyone may call: liveness probes and the schema (which holds no data). */
const publicServices = new Set(["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"]);

/** Procedures anyone may call. CompleteOAuth is reached by a browser redirect, which carries no token. */
export const publicProcedures: ReadonlySet<string> = new Set([
  "/palyra.gateway.v1.GatewayService/GetHealth",
  "/palyra.gateway.v1.AuthProfileService/CompleteOAuth",
]);

const scopesByService: Record<string, Record<string, Scope>> = {
  "palyra.gateway.v1.GatewayService": {
    RunStream: "chat.create",
    AbortRun: "chat.create",
    Embed: "embeddings.create",
    Transcribe: "audio.create",
  },
  "palyra.gateway.v1.ModelsService": {
    ListModels: "models.read",
    GetModelsStatus: "models.read",
    ExplainRouting: "models.read",
    // Probes and discovery reach out to providers and change the registry.
    TestConnection: "admin",
    Discover: "admin",
  },
  "palyra.gateway.v1.DiagnosticsService": {
    GetDiagnostics: "admin",
    GetEffectiveConfig: "admin",
    ListIncidents: "admin",
    RunAudit: "admin",
    ReloadConfig: "admin",
  },
  // A key bound to an agent reaches only that agent's journal (rpc/memory-service.ts checks it).
  "palyra.gateway.v1.MemoryService": {
    Retain: "memory.write",
    DeleteMemory: "memory.write",
    Search: "memory.read",
    GetMemory: "memory.read",
    ListMemories: "memory.read",
    GetMemoryStatus: "memory.read",
  },
  // A client key manages only the jobs it created (rpc/cron-service.ts checks the owner).
  "palyra.gateway.v1.CronService": {
    CreateJob: "cron.manage",
    UpdateJob: "cron.manage",
    DeleteJob: "cron.manage",
    GetJob: "cron.manage",
    ListJobs: "cron.manage",
    RunJobNow: "cron.manage",
    ListJobRuns: "cron.manage",
    GetJobRun: "cron.manage",
  },
  // A task is a chat run started later, by its submitter, who alone (and the admin) sees and cancels it.
  "palyra.gateway.v1.TasksService": { SubmitTask: "chat.create", GetTask: "chat.create", ListTasks: "chat.create", CancelTask: "chat.create" },
  "palyra.gateway.v1.VaultService": { PutSecret: "admin", ListSecrets: "admin", DeleteSecret: "admin", RotateKey: "admin" },
  "palyra.gateway.v1.ApiKeysService": { CreateApiKey: "admin", ListApiKeys: "admin", RevokeApiKey: "admin" },
  // Prices, budgets, approvals and usage across every caller are operators' business.
  "palyra.gateway.v1.UsageService": {
    SetPricing: "admin",
    ListPricing: "admin",
    SetBudgetPolicy: "admin",
    ListBudgetPolicies: "admin",
    DeleteBudgetPolicy: "admin",
    ListApprovals: "admin",
    DecideApproval: "admin",
    ListAlerts: "admin",
    GetUsageSummary: "admin",
  },
  "palyra.gateway.v1.AuthProfileService": {
    ListProfiles: "admin",
    GetProfile: "admin",
    SetProfile: "admin",
    DeleteProfile: "admin",
    ConnectApiKey: "admin",
    StartOAuth: "admin",
    RefreshProfile: "admin",
    GetAuthHealth: "admin",
  },
};

/** The scope each procedure ("/<service>/<method>") needs. */
export const procedureScopes: ReadonlyMap<string, Scope> = new Map(
  Object.entries(scopesByService).flatMap(([service, methods]) => Object.entries(methods).map(([method, scope]) => [`/${service}/${method}`, scope] as const)),
);

/** Procedures that start runs, and so count against a key's request and token limits. */
const runStartingProcedures = new Set([
  "/palyra.gateway.v1.GatewayService/RunStream",
  "/palyra.gateway.v1.GatewayService/Embed",
  "/palyra.gateway.v1.GatewayService/Transcribe",
  // Each submission is a run to come: it counts against the key's requests per minute now.
  "/palyra.gateway.v1.TasksService/SubmitTask",
]);

const needsByProcedure = new Map<string, CallNeeds>(
  [...procedureScopes].map(([procedure, scope]) => [procedure, { scope, startsRun: runStartingProcedures.has(procedure) }]),
);
const adminOnly: CallNeeds = { scope: "admin", startsRun: false };

/** What a call needs: nothing (public), or a credential with a scope. Unlisted procedures need admin. */
export function procedureAccess(serviceTypeName: string, procedure: string): "public" | CallNeeds {
  if (publicServices.has(serviceTypeName) || publicProcedures.has(procedure)) return "public";
  return needsByProcedure.get(procedure) ?? adminOnly;
}
