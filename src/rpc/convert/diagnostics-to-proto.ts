import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import type {
  AutomationDiagnosticsSchema,
  FailedRunSchema,
  GetDiagnosticsResponseSchema,
  JobOutcomeSchema,
  ProviderDiagnosticsSchema,
  SelfHealingDiagnosticsSchema,
  UsageDiagnosticsSchema,
} from "../../../gen/es/palyra/gateway/v1/diagnostics_pb.js";
import type { AutomationSection, JobOutcome, SelfHealingSection } from "../../diagnostics/automation-section.js";
import type { DiagnosticsSnapshot } from "../../diagnostics/collect-diagnostics.js";
import type { FailedRun, ProviderSection } from "../../diagnostics/provider-section.js";
import type { UsageSection } from "../../diagnostics/usage-section.js";
import { profileToProto } from "./auth-profile-to-proto.js";
import { approvalToProto, budgetAlertToProto, budgetPolicyToProto } from "./budgets-to-proto.js";
import { incidentToProto } from "./incidents-to-proto.js";
import { systemJobToProto } from "./memory-to-proto.js";
import { providerStatusToProto } from "./models-to-proto.js";

/** The (already redacted) snapshot as GetDiagnosticsResponse: the original top-level fields, then the sections. */
export function diagnosticsToProto(snapshot: DiagnosticsSnapshot): MessageInitShape<typeof GetDiagnosticsResponseSchema> {
  const { runtime, store, runs } = snapshot;
  const providers = snapshot.providers.map(providerToProto);
  return {
    version: runtime.version,
    startedAt: timestampFromDate(runtime.startedAt),
    uptimeSeconds: runtime.uptimeSeconds,
    nodeVersion: runtime.nodeVersion,
    rssBytes: BigInt(runtime.rssBytes),
    configPath: snapshot.configSource,
    store: {
      dialect: store.dialect,
      location: store.location,
      schemaVersion: store.schemaVersion,
      runCount: BigInt(store.runCount),
      fileBytes: BigInt(store.fileBytes),
      walBytes: BigInt(store.walBytes),
      migrationsApplied: store.migrationsApplied,
      migrationsPending: store.migrationsPending,
    },
    runs: { active: runs.active, succeeded: BigInt(runs.succeeded), failed: BigInt(runs.failed), cancelled: BigInt(runs.cancelled) },
    providers: providers.map((provider) => provider.status),
    runtime: {
      version: runtime.version,
      nodeVersion: runtime.nodeVersion,
      uptimeSeconds: runtime.uptimeSeconds,
      rssBytes: BigInt(runtime.rssBytes),
      heapUsedBytes: BigInt(runtime.heapUsedBytes),
      eventLoopLag: runtime.eventLoopLag,
      activeRuns: runtime.activeRuns,
    },
    providerDetails: providers,
    authProfiles: snapshot.authProfiles.map(profileToProto),
    usage: usageToProto(snapshot.usage),
    automation: automationToProto(snapshot.automation),
    selfHealing: selfHealingToProto(snapshot.selfHealing),
    memory: {
      items: BigInt(snapshot.memory.items),
      bytes: BigInt(snapshot.memory.bytes),
      pendingEmbeddings: BigInt(snapshot.memory.awaitingEmbedding),
      embeddingsModelId: snapshot.memory.embeddingModelId ?? "",
      ...(snapshot.memory.maintenance !== undefined && { lastMaintenance: systemJobToProto(snapshot.memory.maintenance) }),
    },
    recentFailures: snapshot.recentFailures.map(failedRunToProto),
  };
}

function providerToProto(provider: ProviderSection): MessageInitShape<typeof ProviderDiagnosticsSchema> & { status: ReturnType<typeof providerStatusToProto> } {
  const { lastError } = provider;
  return {
    status: providerStatusToProto(provider, provider.modelCount, provider.health, provider.circuit),
    ...(lastError !== undefined && {
      lastError: { at: timestampFromMs(lastError.at), errorKind: lastError.errorKind, message: lastError.message, runId: lastError.runId },
    }),
    sampledRuns: provider.sampledRuns,
    p50DurationMs: provider.p50DurationMs,
    p50FirstOutputMs: provider.p50FirstOutputMs,
  };
}

function usageToProto(usage: UsageSection): MessageInitShape<typeof UsageDiagnosticsSchema> {
  return {
    spendTodayUsd: usage.spendTodayUsd,
    spendMonthUsd: usage.spendMonthUsd,
    timezone: usage.timezone,
    budgetsAtSoftLimit: usage.budgetsAtSoftLimit.map(budgetPolicyToProto),
    recentAlerts: usage.recentAlerts.map(budgetAlertToProto),
    pendingApprovals: usage.pendingApprovals.map(approvalToProto),
    pendingApprovalCount: usage.pendingApprovalCount,
  };
}

function automationToProto(automation: AutomationSection): MessageInitShape<typeof AutomationDiagnosticsSchema> {
  return {
    schedulerState: automation.schedulerState,
    enabledJobs: automation.enabledJobs,
    jobsDue: automation.jobsDue.map(jobOutcomeToProto),
    failingJobs: automation.failingJobs.map(jobOutcomeToProto),
    systemJobs: automation.systemJobs.map(systemJobToProto),
    queuedTasks: automation.queuedTasks,
  };
}

function jobOutcomeToProto(job: JobOutcome): MessageInitShape<typeof JobOutcomeSchema> {
  return {
    jobId: job.jobId,
    name: job.name,
    ...(job.nextRunAt !== undefined && { nextRunAt: timestampFromMs(job.nextRunAt) }),
    ...(job.lastRunAt !== undefined && { lastRunAt: timestampFromMs(job.lastRunAt) }),
    lastStatus: job.lastStatus,
    lastMessage: job.lastMessage,
  };
}

function selfHealingToProto(selfHealing: SelfHealingSection): MessageInitShape<typeof SelfHealingDiagnosticsSchema> {
  return {
    mode: selfHealing.mode,
    activeIncidents: selfHealing.activeIncidents.map(incidentToProto),
    activeCount: selfHealing.activeCount,
    recentIncidents: selfHealing.recentIncidents.map(incidentToProto),
    remediations: selfHealing.remediations.map(incidentToProto),
  };
}

function failedRunToProto(run: FailedRun): MessageInitShape<typeof FailedRunSchema> {
  return { runId: run.runId, at: timestampFromMs(run.at), modelId: run.modelId, providerId: run.providerId, errorKind: run.errorKind, message: run.message };
}
