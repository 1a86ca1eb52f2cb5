import type { GetAuthHealthResponse } from "../../gen/grpc-js/palyra/gateway/v1/auth.js";
import { ProfileHealthState } from "../../gen/grpc-js/palyra/gateway/v1/auth.js";
import type { ListIncidentsResponse, RunAuditResponse } from "../../gen/grpc-js/palyra/gateway/v1/diagnostics.js";
import type { GetHealthResponse } from "../../gen/grpc-js/palyra/gateway/v1/gateway.js";
import { ConnectionStatus, type TestConnectionResponse } from "../../gen/grpc-js/palyra/gateway/v1/models.js";
import { type CheckReport, type Finding, reportOf } from "../diagnostics/doctor/doctor-types.js";
import type { DaemonConnection } from "./daemon-connection.js";
import { callUnary, DaemonClients } from "./grpc-clients.js";
import { describeServiceError, isServiceError } from "./grpc-errors.js";

/** A probe's deadline: a provider that does not answer in this long is reported, not waited for. */
const probeTimeoutMs = 5_000;

/**
 * The running daemon's side, over its RPCs (the generated grpc-js clients): health, each provider's
 * connection, each auth profile's health, the integrity audit (vault, secret references, budget
 * counters against the ledger, open runs) and the open incidents. A call that fails becomes a
 * blocking finding of its check; the others still run.
 */
export async function liveChecks(connection: DaemonConnection, timeoutMs: number): Promise<CheckReport[]> {
  const clients = new DaemonClients(connection, timeoutMs);
  const call = async <T>(check: string, fn: () => Promise<T>, judge: (response: T) => CheckReport): Promise<CheckReport> => {
    try {
      return judge(await fn());
    } catch (error) {
      const message = isServiceError(error) ? describeServiceError(error, connection, timeoutMs).message : (error as Error).message;
      return reportOf(check, "the call failed", [
        {
          check,
          severity: "blocking",
          object: connection.address,
          problem: message,
          fix: "palyra health; check the admin token (PALYRA_ADMIN_TOKEN or <state-dir>/admin-token)",
        },
      ]);
    }
  };
  try {
    const gateway = clients.gateway();
    const models = clients.models();
    const auth = clients.auth();
    const diagnostics = clients.diagnostics();
    const metadata = clients.metadata();
    return [
      await call("health", () => callUnary<GetHealthResponse>((done) => gateway.getHealth({}, metadata, clients.unaryOptions(), done)), judgeHealth),
      await call(
        "providers",
        () =>
          callUnary<TestConnectionResponse>((done) =>
            models.testConnection({ providerId: "", timeoutMs: probeTimeoutMs }, metadata, clients.unaryOptions(), done),
          ),
        judgeProviders,
      ),
      await call(
        "auth_profiles",
        () => callUnary<GetAuthHealthResponse>((done) => auth.getAuthHealth({}, metadata, clients.unaryOptions(), done)),
        judgeProfiles,
      ),
      await call("audit", () => callUnary<RunAuditResponse>((done) => diagnostics.runAudit({}, metadata, clients.unaryOptions(), done)), judgeAudit),
      await call(
        "incidents",
        () =>
          callUnary<ListIncidentsResponse>((done) => diagnostics.listIncidents({ includeResolved: false, limit: 100 }, metadata, clients.unaryOptions(), done)),
        judgeIncidents,
      ),
    ];
  } finally {
    clients.close();
  }
}

function judgeHealth(health: GetHealthResponse): CheckReport {
  const findings: Finding[] =
    health.status === "ok"
      ? []
      : [
          {
            check: "health",
            severity: "warning",
            object: "daemon",
            problem: `degraded: ${health.reasons.join("; ")}`,
            fix: "see the reasons; palyra diagnostics shows more",
          },
        ];
  return reportOf("health", `${health.status}, version ${health.version}, up ${Math.round(health.uptimeSeconds)}s`, findings);
}

/** Not applicable: a provider with no upstream (the deterministic one) has no connection to fail. */
const healthyConnections = new Set([ConnectionStatus.CONNECTION_STATUS_OK, ConnectionStatus.CONNECTION_STATUS_NOT_APPLICABLE]);

function judgeProviders(response: TestConnectionResponse): CheckReport {
  const findings = response.results
    .filter((result) => !healthyConnections.has(result.status))
    .map(
      (result): Finding => ({
        check: "providers",
        severity: "warning",
        object: `provider/${result.providerId}`,
        problem: `connection test: ${ConnectionStatus[result.status].replace("CONNECTION_STATUS_", "").toLowerCase()}: ${result.detail}`,
        fix: `check its base_url and credential, then: palyra models test-connection --provider ${result.providerId}`,
      }),
    );
  return reportOf("providers", `${response.results.length} provider(s) tested`, findings);
}

const badProfileStates = new Set([
  ProfileHealthState.PROFILE_HEALTH_STATE_EXPIRED,
  ProfileHealthState.PROFILE_HEALTH_STATE_MISSING,
  ProfileHealthState.PROFILE_HEALTH_STATE_REFRESH_FAILED,
]);

function judgeProfiles(response: GetAuthHealthResponse): CheckReport {
  const findings = response.profiles
    .filter((profile) => profile.health !== undefined && badProfileStates.has(profile.health.state))
    .map(
      (profile): Finding => ({
        check: "auth_profiles",
        severity: "warning",
        object: `auth_profile/${profile.profileId}`,
        problem: profile.health?.reason ?? "unhealthy",
        fix:
          profile.health?.state === ProfileHealthState.PROFILE_HEALTH_STATE_REFRESH_FAILED
            ? `palyra auth refresh ${profile.profileId}`
            : `reconnect it: palyra auth connect-api-key --provider ${profile.providerKind} --profile-id ${profile.profileId} (API key) or palyra auth oauth start (OAuth)`,
      }),
    );
  return reportOf("auth_profiles", `${response.profiles.length} profile(s)`, findings);
}

function judgeAudit(report: RunAuditResponse): CheckReport {
  const findings = report.findings.map(
    (finding): Finding => ({
      check: `audit.${finding.check}`,
      severity: finding.check === "vault_secret" ? "blocking" : "warning",
      object: finding.object,
      problem: finding.message,
      fix: finding.repaired
        ? "repaired by the daemon's audit"
        : 'stop the daemon and run palyra doctor --repair, or set [automation.self_healing] mode = "auto" so its audit repairs counters and open runs',
    }),
  );
  return reportOf("audit", `integrity audit: ${report.checked} object(s) checked`, findings);
}

function judgeIncidents(response: ListIncidentsResponse): CheckReport {
  const findings = response.incidents.map(
    (incident): Finding => ({
      check: "incidents",
      severity: "info",
      object: `${incident.objectKind}/${incident.objectId}`,
      problem: `${incident.kind}: ${incident.summary}`,
      fix: "palyra incidents list",
    }),
  );
  return reportOf("incidents", `${response.incidents.length} open incident(s)`, findings);
}
