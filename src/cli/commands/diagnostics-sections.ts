import { profileHealthStateToJSON } from "../../../gen/grpc-js/palyra/gateway/v1/auth.js";
import { type GetDiagnosticsResponse, type Incident, incidentStateToJSON } from "../../../gen/grpc-js/palyra/gateway/v1/diagnostics.js";
import { enumLabel, formatTable, formatTime } from "../output.js";
import { formatProviderTable } from "../provider-table.js";

const mib = (bytes: number) => (bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`);
const ms = (value: number) => `${value.toFixed(1)} ms`;
const usd = (value: number) => `$${value.toFixed(4)}`;

/** The snapshot as readable sections, each headed by its name; empty lists say "none". */
export function formatDiagnostics(report: GetDiagnosticsResponse): string[] {
  return [
    ...runtimeLines(report),
    ...storeLines(report),
    ...providerLines(report),
    ...authLines(report),
    ...usageLines(report),
    ...automationLines(report),
    ...selfHealingLines(report),
    ...memoryLines(report),
    ...failureLines(report),
  ];
}

function section(title: string, body: string[]): string[] {
  return ["", `== ${title}`, ...(body.length === 0 ? ["none"] : body)];
}

function runtimeLines(report: GetDiagnosticsResponse): string[] {
  const runtime = report.runtime;
  const lag = runtime?.eventLoopLag;
  return [
    `version   ${report.version} (node ${report.nodeVersion})`,
    `started   ${formatTime(report.startedAt)} (uptime ${report.uptimeSeconds.toFixed(1)}s)`,
    `memory    ${mib(report.rssBytes)} RSS, ${mib(runtime?.heapUsedBytes ?? 0)} heap`,
    `loop lag  ${lag ? `p50 ${ms(lag.p50Ms)}, p99 ${ms(lag.p99Ms)}, max ${ms(lag.maxMs)}` : "-"}`,
    `runs      ${report.runs?.active ?? 0} active, ${report.runs?.succeeded ?? 0} succeeded, ${report.runs?.failed ?? 0} failed, ${report.runs?.cancelled ?? 0} cancelled`,
    `config    ${report.configPath || "-"}`,
  ];
}

function storeLines(report: GetDiagnosticsResponse): string[] {
  const store = report.store;
  if (store === undefined) return section("store", []);
  const pending = store.migrationsPending.length === 0 ? "none pending" : `pending: ${store.migrationsPending.join(", ")}`;
  return section("store", [
    `${store.dialect} ${store.location}`,
    `file ${mib(store.fileBytes)}, WAL ${mib(store.walBytes)}; ${store.migrationsApplied} migrations applied, ${pending}; ${store.runCount} runs`,
  ]);
}

function providerLines(report: GetDiagnosticsResponse): string[] {
  const latency = report.providerDetails.map((provider) => [
    provider.status?.providerId ?? "",
    provider.sampledRuns > 0 ? ms(provider.p50DurationMs) : "-",
    provider.sampledRuns > 0 ? ms(provider.p50FirstOutputMs) : "-",
    String(provider.sampledRuns),
    provider.lastError ? `${formatTime(provider.lastError.at)} ${provider.lastError.errorKind}: ${provider.lastError.message}` : "-",
  ]);
  return section("providers", [
    formatProviderTable(report.providers),
    "",
    formatTable(["provider", "p50 duration", "p50 first output", "sampled runs", "last error"], latency),
  ]);
}

function authLines(report: GetDiagnosticsResponse): string[] {
  const rows = report.authProfiles.map((profile) => [
    profile.profileId,
    profile.providerKind,
    profile.agentId || "(global)",
    profile.health ? enumLabel(profileHealthStateToJSON(profile.health.state), "PROFILE_HEALTH_STATE_") : "-",
    formatTime(profile.oauth?.expiresAt),
    profile.health?.reason ?? "",
  ]);
  return section("auth profiles", rows.length === 0 ? [] : [formatTable(["profile", "kind", "agent", "health", "expires", "reason"], rows)]);
}

function usageLines(report: GetDiagnosticsResponse): string[] {
  const usage = report.usage;
  if (usage === undefined) return section("usage", []);
  const budgets = usage.budgetsAtSoftLimit.map((policy) => {
    const standing = policy.standing;
    return `budget ${policy.policyId}: ${standing?.consumed ?? 0} consumed of soft ${policy.softLimitValue || "-"} / hard ${policy.hardLimitValue || "-"}`;
  });
  const alerts = usage.recentAlerts.map((alert) => `alert ${formatTime(alert.createdAt)} ${alert.message}`);
  const approvals = usage.pendingApprovals.map(
    (approval) => `approval ${approval.approvalId} pending: ${approval.policyId}, ${approval.modelId}, agent ${approval.agentId || "-"}`,
  );
  return section("usage", [
    `spend today ${usd(usage.spendTodayUsd)}, this month ${usd(usage.spendMonthUsd)} (${usage.timezone}); ${usage.pendingApprovalCount} pending approvals`,
    ...budgets,
    ...alerts,
    ...approvals,
  ]);
}

function automationLines(report: GetDiagnosticsResponse): string[] {
  const automation = report.automation;
  if (automation === undefined) return section("automation", []);
  return section("automation", [
    `scheduler ${automation.schedulerState}; ${automation.enabledJobs} enabled jobs, ${automation.jobsDue.length} due now, ${automation.queuedTasks} queued tasks`,
    ...automation.failingJobs.map((job) => `failing job ${job.jobId} (${job.name}): ${job.lastStatus} at ${formatTime(job.lastRunAt)}: ${job.lastMessage}`),
    ...automation.systemJobs.map(
      (job) =>
        `system job ${job.jobId}: ${job.lastRunAt ? `${job.lastStatus} at ${formatTime(job.lastRunAt)}` : "not run yet"}, next ${formatTime(job.nextRunAt)}`,
    ),
  ]);
}

function selfHealingLines(report: GetDiagnosticsResponse): string[] {
  const healing = report.selfHealing;
  if (healing === undefined) return section("self-healing", []);
  const line = (incident: Incident) =>
    `${enumLabel(incidentStateToJSON(incident.state), "INCIDENT_STATE_")} ${incident.kind} ${incident.objectKind}/${incident.objectId}: ${incident.summary}` +
    (incident.remediation ? ` -> ${incident.remediation}` : "");
  return section("self-healing", [`mode ${healing.mode}; ${healing.activeCount} active incidents`, ...healing.recentIncidents.map(line)]);
}

function memoryLines(report: GetDiagnosticsResponse): string[] {
  const memory = report.memory;
  if (memory === undefined) return section("memory", []);
  const maintenance = memory.lastMaintenance;
  return section("memory", [
    `${memory.items} items (${mib(memory.bytes)}), ${memory.pendingEmbeddings} awaiting embeddings (${memory.embeddingsModelId || "no embeddings model"})`,
    `last maintenance: ${maintenance?.lastRunAt ? `${maintenance.lastStatus} at ${formatTime(maintenance.lastRunAt)}` : "not run yet"}`,
  ]);
}

function failureLines(report: GetDiagnosticsResponse): string[] {
  const rows = report.recentFailures.map((run) => [formatTime(run.at), run.modelId, run.providerId, run.errorKind, run.message]);
  return section("recent failures", rows.length === 0 ? [] : [formatTable(["time", "model", "provider", "error", "message"], rows)]);
}
