import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ApiKeysService } from "../../gen/es/palyra/gateway/v1/api_keys_pb.js";
import { CronService, JobRunStatus, type JobSchema } from "../../gen/es/palyra/gateway/v1/cron_pb.js";
import { startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";

// CronService through the real daemon: jobs run through the engine as their agent's runs (ledger,
// budgets), owners see only their jobs, and [[automation.jobs]] come from the config file.

const models = `
version = 1

[daemon]
shutdown_grace_ms = 200

[model_provider]
default_chat_model_id = "palyra-echo"

[[model_provider.providers]]
provider_id = "local"
kind = "deterministic"

[[model_provider.models]]
model_id = "palyra-echo"
provider_id = "local"

[[usage.budgets]]
policy_id = "broke-tokens"
scope_kind = "agent"
scope_id = "broke-agent"
metric_kind = "tokens"
interval_kind = "daily"
hard_limit_value = 1
`;

const nightlyJob = `
[automation]
timezone = "Europe/Prague"

[[automation.jobs]]
job_id = "nightly"
name = "nightly report"
prompt = "summarise the day"
cron = "0 3 * * *"
agent_id = "reports"
`;

let gateway: TestGateway;
let configFile: string;
const admin = { headers: { authorization: `Bearer ${testToken}` } };
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
let cron: ReturnType<typeof createClient<typeof CronService>>;

beforeAll(async () => {
  gateway = await startTestGateway({ configToml: models + nightlyJob });
  configFile = join(gateway.stateDir, "test-config.toml");
  const transport = createGrpcTransport({ baseUrl: gateway.grpcBase });
  cron = createClient(CronService, transport);
});

afterAll(async () => {
  await gateway?.stop();
});

/** A job that runs a prompt: every `everyMs`, enabled. */
function job(overrides: MessageInitShape<typeof JobSchema> = {}): MessageInitShape<typeof JobSchema> {
  return {
    name: "test job",
    run: { input: { case: "prompt" as const, value: "tick tock" } },
    enabled: true,
    schedule: { kind: { case: "everyMs" as const, value: 3_600_000n } },
    ...overrides,
  } as MessageInitShape<typeof JobSchema>;
}

async function refusal(call: Promise<unknown>): Promise<ConnectError> {
  const error = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConnectError);
  return error as ConnectError;
}

function ledgerRows(runIds: string[]): { run_id: string; agent_id: string | null; caller_id: string; status: string }[] {
  const db = new Database(gateway.databaseFile, { readonly: true });
  try {
    const marks = runIds.map(() => "?").join(",");
    return db.prepare(`SELECT run_id, agent_id, caller_id, status FROM runs WHERE run_id IN (${marks}) ORDER BY run_id`).all(...runIds) as never;
  } finally {
    db.close();
  }
}

describe("CronService", () => {
  it("runs an every-1s job as its agent: its runs are in its history and in the ledger", async () => {
    const { job: created } = await cron.createJob({ job: job({ agentId: "cron-agent", schedule: { kind: { case: "everyMs", value: 1000n } } }) }, admin);
    const jobId = created?.jobId ?? "";
    expect(created).toMatchObject({ owner: "admin", source: "runtime", enabled: true });
    expect(created?.nextRunAt).toBeDefined();
    const succeeded = await vi.waitFor(
      async () => {
        const { jobRuns } = await cron.listJobRuns({ jobId }, admin);
        const done = jobRuns.filter((run) => run.status === JobRunStatus.SUCCEEDED);
        expect(done.length).toBeGreaterThanOrEqual(2);
        return done;
      },
      { timeout: 30_000, interval: 100 },
    );
    await cron.deleteJob({ jobId }, admin);
    const runIds = succeeded.slice(0, 2).map((run) => run.runId);
    expect(succeeded[0]?.outputTokens).toBeGreaterThan(0n);
    expect(ledgerRows(runIds)).toEqual(runIds.sort().map((run_id) => ({ run_id, agent_id: "cron-agent", caller_id: "admin", status: "succeeded" })));
  });

  it("creates a job enabled when the definition leaves enabled unset, and disabled only when asked", async () => {
    const { enabled: _unset, ...withoutEnabled } = job({ jobId: "implicitly-enabled" });
    const { job: created } = await cron.createJob({ job: withoutEnabled }, admin);
    expect(created?.enabled).toBe(true);
    expect(created?.nextRunAt).toBeDefined();
    const { job: off } = await cron.createJob({ job: job({ jobId: "explicitly-disabled", enabled: false }) }, admin);
    expect(off?.enabled).toBe(false);
    expect(off?.nextRunAt).toBeUndefined();
    await cron.deleteJob({ jobId: "implicitly-enabled" }, admin);
    await cron.deleteJob({ jobId: "explicitly-disabled" }, admin);
  });

  it("skips an over-budget agent's tick with reason budget_exceeded, naming the policy", async () => {
    const { job: created } = await cron.createJob({ job: job({ agentId: "broke-agent", retry: { maxAttempts: 3, backoffMs: 1000n } }) }, admin);
    const { jobRun } = await cron.runJobNow({ jobId: created?.jobId ?? "" }, admin);
    const ended = await vi.waitFor(
      async () => {
        const { jobRun: current } = await cron.getJobRun({ jobRunId: jobRun?.jobRunId ?? "" }, admin);
        expect(current?.status).not.toBe(JobRunStatus.RUNNING);
        return current;
      },
      { timeout: 30_000, interval: 50 },
    );
    expect(ended).toMatchObject({ status: JobRunStatus.SKIPPED, reason: "budget_exceeded", runId: "" });
    expect(ended?.message).toContain('"broke-tokens"');
    // Never retried: the one job run is the tick's only one.
    const { jobRuns } = await cron.listJobRuns({ jobId: created?.jobId ?? "" }, admin);
    expect(jobRuns).toHaveLength(1);
  });

  it("RunJobNow fires a job at once and GetJobRun shows its end", async () => {
    const { job: created } = await cron.createJob({ job: job({ run: { input: { case: "prompt", value: "now please" }, model: "palyra-echo" } }) }, admin);
    const { jobRun } = await cron.runJobNow({ jobId: created?.jobId ?? "" }, admin);
    expect(jobRun).toMatchObject({ status: JobRunStatus.RUNNING, attempt: 1 });
    const ended = await vi.waitFor(
      async () => {
        const { jobRun: current } = await cron.getJobRun({ jobRunId: jobRun?.jobRunId ?? "" }, admin);
        expect(current?.status).toBe(JobRunStatus.SUCCEEDED);
        return current;
      },
      { timeout: 30_000, interval: 50 },
    );
    expect(ended?.runId).not.toBe("");
    const { job: after } = await cron.getJob({ jobId: created?.jobId ?? "" }, admin);
    expect(after?.runCount).toBe(1);
    expect(after?.lastRunAt).toBeDefined();
  });

  it("refuses bad definitions, naming the field", async () => {
    const tooOften = await refusal(cron.createJob({ job: job({ schedule: { kind: { case: "everyMs", value: 500n } } }) }, admin));
    expect(tooOften.code).toBe(Code.InvalidArgument);
    expect(tooOften.rawMessage).toContain("job.schedule.every_ms");
    const past = await refusal(cron.createJob({ job: job({ schedule: { kind: { case: "at", value: timestampFromMs(Date.now() - 60_000) } } }) }, admin));
    expect(past.rawMessage).toContain("job.schedule.at: must be in the future");
    const badCron = await refusal(
      cron.createJob({ job: job({ schedule: { kind: { case: "cron", value: { expression: "0 25 * * *", timezone: "" } } } }) }, admin),
    );
    expect(badCron.rawMessage).toContain("job.schedule.cron");
    const jitter = await refusal(cron.createJob({ job: job({ jitterMs: 60_001 }) }, admin));
    expect(jitter.rawMessage).toContain("job.jitter_ms");
    const attempts = await refusal(cron.createJob({ job: job({ retry: { maxAttempts: 17, backoffMs: 0n } }) }, admin));
    expect(attempts.rawMessage).toContain("job.retry.max_attempts");
  });

  it("lets a client key see and change only its own jobs, and needs cron.manage", async () => {
    const keys = createClient(ApiKeysService, createGrpcTransport({ baseUrl: gateway.grpcBase }));
    const issue = async (name: string, scopes: string[]) => (await keys.createApiKey({ name, scopes }, admin)).secret;
    const alice = await issue("alice", ["cron.manage", "chat.create"]);
    const bob = await issue("bob", ["cron.manage"]);
    const chatOnly = await issue("chat only", ["chat.create"]);

    const { job: alices } = await cron.createJob({ job: job({ jobId: "alice-job" }) }, bearer(alice));
    expect(alices?.owner).not.toBe("admin");
    expect((await cron.listJobs({}, bearer(alice))).jobs.map((listed) => listed.jobId)).toEqual(["alice-job"]);
    expect((await cron.listJobs({}, bearer(bob))).jobs).toEqual([]);
    for (const call of [
      cron.getJob({ jobId: "alice-job" }, bearer(bob)),
      cron.deleteJob({ jobId: "alice-job" }, bearer(bob)),
      cron.runJobNow({ jobId: "alice-job" }, bearer(bob)),
      cron.listJobRuns({ jobId: "alice-job" }, bearer(bob)),
      cron.updateJob({ job: job({ jobId: "alice-job", enabled: false }) }, bearer(bob)),
    ]) {
      expect((await refusal(call)).code).toBe(Code.NotFound);
    }
    expect((await cron.listJobs({}, admin)).jobs.map((listed) => listed.jobId)).toContain("alice-job");
    expect((await refusal(cron.listJobs({}, bearer(chatOnly)))).code).toBe(Code.PermissionDenied);
    const { job: disabled } = await cron.updateJob({ job: job({ jobId: "alice-job", enabled: false }) }, bearer(alice));
    expect(disabled).toMatchObject({ enabled: false });
    expect(disabled?.nextRunAt).toBeUndefined();
    expect((await cron.deleteJob({ jobId: "alice-job" }, bearer(alice))).deleted).toBe(true);
  });

  it("upserts [[automation.jobs]] as the admin's config jobs, and a reload removes one no longer in the file", async () => {
    const { job: nightly } = await cron.getJob({ jobId: "nightly" }, admin);
    expect(nightly).toMatchObject({ owner: "admin", source: "config", agentId: "reports", enabled: true });
    expect(nightly?.schedule?.kind).toEqual({ case: "cron", value: expect.objectContaining({ expression: "0 3 * * *", timezone: "Europe/Prague" }) });
    // 03:00 in Prague is 01:00 or 02:00 UTC, depending on the season.
    expect([1, 2]).toContain(new Date(Number(nightly?.nextRunAt?.seconds) * 1000).getUTCHours());
    expect((await refusal(cron.createJob({ job: job({ jobId: "nightly" }) }, admin))).rawMessage).toContain("already exists");
    expect((await refusal(cron.updateJob({ job: job({ jobId: "nightly" }) }, admin))).rawMessage).toContain("config file");

    writeFileSync(configFile, models);
    await gateway.reload();
    expect((await refusal(cron.getJob({ jobId: "nightly" }, admin))).code).toBe(Code.NotFound);
  });
});
