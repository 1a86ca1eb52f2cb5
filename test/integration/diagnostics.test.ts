import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { toJson } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import Database from "better-sqlite3";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AuthProfileService } from "../../gen/es/palyra/gateway/v1/auth_pb.js";
import { CronService, JobRunStatus } from "../../gen/es/palyra/gateway/v1/cron_pb.js";
import { DiagnosticsService, GetDiagnosticsResponseSchema } from "../../gen/es/palyra/gateway/v1/diagnostics_pb.js";
import { ModelsService } from "../../gen/es/palyra/gateway/v1/models_pb.js";
import { DiagnosticsServiceClient, GetDiagnosticsResponse } from "../../gen/grpc-js/palyra/gateway/v1/diagnostics.js";
import { type FakeOpenAI, startFakeOpenAI } from "../fixtures/fake-openai-upstream.js";
import { startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";
import { cleanEnv, runPalyra } from "./support/palyra-process.js";

// GetDiagnostics against the real daemon after some traffic: a failed run, a budget past its soft
// limit, a held request, a failing job and a repaired counter. Secrets are planted everywhere a
// snapshot could pick them up; the whole serialised snapshot, over grpc-js and Connect, must hold none.

const secrets = {
  inlineKey: "sk-diag-inline-key-0123456789",
  envKey: "envref-plain-secret-4711",
  fileKey: "fileref-plain-secret-0815",
  urlPassword: "userinfo-password-9931",
  querySecret: "query-string-secret-2718",
  profileKey: "sk-profile-key-in-vault-5555",
};

const bearer = { headers: { authorization: `Bearer ${testToken}` } };
let upstream: FakeOpenAI;
let gateway: TestGateway;

function configFor(base: string, keyFile: string): string {
  return `
version = 1
[model_provider]
health_ttl_ms = 3600000
default_chat_model_id = "palyra-echo"
# Each failed run is its provider's alone.
failover_enabled = false

[[model_provider.providers]]
provider_id = "local"
kind = "deterministic"

[[model_provider.providers]]
provider_id = "leaky"
kind = "openai_compatible"
base_url = "${base}?api_key=${secrets.querySecret}"
allow_private_base_url = true
api_key = "${secrets.inlineKey}"
max_retries = 0

[[model_provider.providers]]
provider_id = "env-ref"
kind = "openai_compatible"
base_url = "${base}"
allow_private_base_url = true
api_key_secret_ref = { kind = "env", variable = "DIAG_ENV_KEY" }
max_retries = 0

[[model_provider.providers]]
provider_id = "file-ref"
kind = "openai_compatible"
base_url = "${base}"
allow_private_base_url = true
api_key_secret_ref = { kind = "file", path = "${keyFile}" }
max_retries = 0

[[model_provider.models]]
model_id = "palyra-echo"
provider_id = "local"

[[model_provider.models]]
model_id = "leaky-model"
provider_id = "leaky"

[[model_provider.models]]
model_id = "env-model"
provider_id = "env-ref"

[[usage.budgets]]
policy_id = "soft-tokens"
scope_kind = "global"
metric_kind = "tokens"
interval_kind = "daily"
soft_limit_value = 1
hard_limit_value = 10000000

[[usage.budgets]]
policy_id = "needs-ok"
scope_kind = "agent"
scope_id = "approval-agent"
metric_kind = "tokens"
interval_kind = "daily"
hard_limit_value = 5
action = "require_approval"

[automation.self_healing]
mode = "auto"

[[automation.jobs]]
job_id = "leaky-job"
name = "leaky job"
prompt = "fail for the diagnostics"
model = "env-model"
cron = "0 3 * * *"
`;
}

/**
 * An upstream refusal that quotes every secret the daemon knows and the key it keeps in the vault (a
 * provider key's shape), as a careless proxy might, and a URL with userinfo and a query secret (the
 * config refuses userinfo in base_url, so it arrives this way).
 */
function echoingRefusal() {
  const { urlPassword: _inUrlOnly, ...quoted } = secrets;
  const echoed = [...Object.values(quoted), testToken].join(" ");
  const url = `${upstream.baseUrl.replace("http://", `http://diag-user:${secrets.urlPassword}@`)}/chat?sig=${secrets.querySecret}`;
  return {
    kind: "status" as const,
    status: 401,
    body: { error: { message: `Incorrect API key provided: ${echoed} (from ${url})`, type: "invalid_request_error" } },
  };
}

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  const keyFile = join(await import("node:os").then((os) => os.tmpdir()), `palyra-diag-key-${process.pid}`);
  writeFileSync(keyFile, `${secrets.fileKey}\n`, { mode: 0o600 });
  gateway = await startTestGateway({ configToml: configFor(upstream.baseUrl, keyFile), env: { DIAG_ENV_KEY: secrets.envKey } });
  const transport = createGrpcTransport({ baseUrl: gateway.grpcBase });
  const openai = (agentId = "diag-agent") =>
    new OpenAI({ apiKey: testToken, baseURL: `${gateway.httpBase}/v1`, maxRetries: 0, defaultHeaders: { "x-palyra-agent-id": agentId } });

  // A label that holds a known secret, and a key that stays in the vault.
  await createClient(AuthProfileService, transport).setProfile(
    { profile: { profileId: "diag-profile", providerKind: "openai", name: `copied ${secrets.inlineKey} by mistake` }, apiKey: secrets.profileKey },
    bearer,
  );
  // Two failed runs whose upstream errors quote the secrets, and a failed probe that does the same.
  upstream.enqueue(echoingRefusal(), echoingRefusal(), echoingRefusal(), echoingRefusal());
  for (const model of ["leaky-model", "env-model"]) {
    await expect(openai().chat.completions.create({ model, messages: [{ role: "user", content: "fail" }] })).rejects.toThrow();
  }
  await createClient(ModelsService, transport).testConnection({ providerId: "env-ref" }, bearer);
  // A run past the soft limit, and a request held for approval.
  await openai().chat.completions.create({ model: "palyra-echo", messages: [{ role: "user", content: "spend a little" }] });
  await expect(openai("approval-agent").chat.completions.create({ model: "palyra-echo", messages: [{ role: "user", content: "hold me" }] })).rejects.toThrow();
  // A job whose run fails with the same quoting upstream.
  const cron = createClient(CronService, transport);
  const { jobRun } = await cron.runJobNow({ jobId: "leaky-job" }, bearer);
  await vi.waitFor(
    async () => {
      const { jobRun: current } = await cron.getJobRun({ jobRunId: jobRun?.jobRunId ?? "" }, bearer);
      expect(current?.status).not.toBe(JobRunStatus.RUNNING);
    },
    { timeout: 30_000, interval: 50 },
  );
  // A counter drifted behind the daemon's back: the audit (self-healing auto) repairs it and records an incident.
  const db = new Database(gateway.databaseFile);
  db.prepare("update budget_counters set consumed = consumed + 1000 where policy_id = 'soft-tokens'").run();
  db.close();
  await createClient(DiagnosticsService, transport).runAudit({}, bearer);
});

afterAll(async () => {
  await gateway?.stop();
  await upstream?.close();
});

async function snapshotOverGrpcJs(): Promise<GetDiagnosticsResponse> {
  const client = new DiagnosticsServiceClient(gateway.grpcAddress, credentials.createInsecure());
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${testToken}`);
  try {
    return await new Promise((resolve, reject) =>
      client.getDiagnostics({}, metadata, (error: ServiceError | null, response: GetDiagnosticsResponse) => (error ? reject(error) : resolve(response))),
    );
  } finally {
    client.close();
  }
}

async function snapshotOverConnect() {
  const client = createClient(DiagnosticsService, createGrpcTransport({ baseUrl: gateway.grpcBase }));
  return client.getDiagnostics({}, bearer);
}

describe("GetDiagnostics", () => {
  it("shows each section after the traffic", async () => {
    const snapshot = await snapshotOverGrpcJs();
    expect(snapshot.runtime).toMatchObject({ version: snapshot.version, activeRuns: 0 });
    expect(snapshot.runtime?.rssBytes).toBeGreaterThan(0);
    expect(snapshot.runtime?.eventLoopLag?.maxMs).toBeGreaterThanOrEqual(0);
    expect(snapshot.store).toMatchObject({ dialect: "sqlite", location: gateway.databaseFile, migrationsPending: [] });
    expect(snapshot.store?.fileBytes).toBeGreaterThan(0);
    expect(snapshot.store?.migrationsApplied).toBe(snapshot.store?.schemaVersion);

    const leaky = snapshot.providerDetails.find((provider) => provider.status?.providerId === "leaky");
    expect(leaky?.status?.baseUrl).toBe(`${upstream.baseUrl}?api_key=<redacted>`);
    expect(leaky?.lastError).toMatchObject({ errorKind: "auth" });
    expect(leaky?.lastError?.message).toContain("Incorrect API key provided");
    const envRef = snapshot.providerDetails.find((provider) => provider.status?.providerId === "env-ref");
    expect(envRef?.status?.health?.detail).toContain("Incorrect API key provided");
    const local = snapshot.providerDetails.find((provider) => provider.status?.providerId === "local");
    expect(local?.sampledRuns).toBeGreaterThan(0);

    expect(snapshot.recentFailures.map((run) => [run.modelId, run.providerId, run.errorKind])).toEqual(
      expect.arrayContaining([
        ["env-model", "env-ref", "auth"],
        ["leaky-model", "leaky", "auth"],
      ]),
    );
    for (const run of snapshot.recentFailures) expect(run.message).toContain("<redacted>");

    expect(snapshot.authProfiles.map((profile) => [profile.profileId, profile.name])).toEqual([["diag-profile", "copied <redacted> by mistake"]]);

    expect(snapshot.usage?.budgetsAtSoftLimit.map((policy) => policy.policyId)).toEqual(["soft-tokens"]);
    expect(snapshot.usage?.recentAlerts.map((alert) => alert.policyId)).toContain("soft-tokens");
    expect(snapshot.usage?.pendingApprovalCount).toBe(1);
    expect(snapshot.usage?.pendingApprovals[0]).toMatchObject({ policyId: "needs-ok", agentId: "approval-agent" });

    expect(snapshot.automation).toMatchObject({ schedulerState: "running" });
    expect(snapshot.automation?.failingJobs.map((job) => [job.jobId, job.lastStatus])).toEqual([["leaky-job", "failed"]]);
    expect(snapshot.automation?.systemJobs.map((job) => job.jobId).length).toBeGreaterThan(0);

    expect(snapshot.selfHealing?.mode).toBe("auto");
    expect(snapshot.selfHealing?.recentIncidents.map((incident) => incident.objectKind)).toContain("budget_counter");
    expect(snapshot.selfHealing?.remediations.map((incident) => incident.objectId)).toEqual([expect.stringMatching(/^soft-tokens@/)]);

    expect(snapshot.memory).toMatchObject({ items: 0, pendingEmbeddings: 0 });
  });

  it("holds no secret anywhere, over grpc-js, over Connect and at /console/v1/diagnostics", async () => {
    const overGrpcJs = JSON.stringify(GetDiagnosticsResponse.toJSON(await snapshotOverGrpcJs()));
    const overConnect = JSON.stringify(toJson(GetDiagnosticsResponseSchema, await snapshotOverConnect()));
    const overHttp = await (await fetch(`${gateway.httpBase}/console/v1/diagnostics`, bearer)).text();
    expect(overHttp).toContain("Incorrect API key provided");
    // The scan would pass on an empty snapshot: check that the planted text did arrive, redacted.
    expect(overGrpcJs).toContain("Incorrect API key provided");
    expect(overConnect).toContain("Incorrect API key provided");
    for (const secret of [...Object.values(secrets), testToken]) {
      for (const form of [secret, encodeURIComponent(secret), Buffer.from(secret).toString("base64")]) {
        expect(overGrpcJs).not.toContain(form);
        expect(overConnect).not.toContain(form);
        expect(overHttp).not.toContain(form);
      }
    }
  });

  it("palyra diagnostics prints the sections (its --json is the proto JSON, as in cli.test.ts)", async () => {
    const text = await runPalyra(["diagnostics", "--state-dir", gateway.stateDir], {
      cwd: gateway.stateDir,
      env: cleanEnv({ PALYRA_ADMIN_TOKEN: testToken }),
    });
    expect(text.stderr).toBe("");
    expect(text.code).toBe(0);
    for (const title of ["store", "providers", "auth profiles", "usage", "automation", "self-healing", "memory", "recent failures"]) {
      expect(text.stdout).toContain(`== ${title}\n`);
    }
    expect(text.stdout).toMatch(/leaky-model\s+leaky\s+auth\s+provider "leaky" answered 401/);
    expect(text.stdout).toContain("failing job leaky-job");
    for (const secret of [...Object.values(secrets), testToken]) expect(text.stdout).not.toContain(secret);
  });
});
