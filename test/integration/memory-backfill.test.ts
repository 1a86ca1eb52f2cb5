import { createHash } from "node:crypto";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CronService, JobRunStatus } from "../../gen/es/palyra/gateway/v1/cron_pb.js";
import { MemoryService } from "../../gen/es/palyra/gateway/v1/memory_pb.js";
import { BudgetAction, BudgetIntervalKind, BudgetMetricKind, BudgetScopeKind, UsageService } from "../../gen/es/palyra/gateway/v1/usage_pb.js";
import { type FakeOpenAI, startFakeOpenAI } from "../fixtures/fake-openai-upstream.js";
import { startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";
import { cleanEnv, runPalyra } from "./support/palyra-process.js";

// The memory system jobs through the real daemon: the embeddings backfill embeds journal items in
// batches of 64 through a fake OpenAI-compatible upstream, as system:memory in the ledger, retries a
// failed batch on the next tick and is skipped by an exhausted budget; the jobs show in cron list --system.

let upstream: FakeOpenAI;
let gateway: TestGateway;
const admin = { headers: { authorization: `Bearer ${testToken}` } };
let cron: ReturnType<typeof createClient<typeof CronService>>;
let usage: ReturnType<typeof createClient<typeof UsageService>>;
let memory: ReturnType<typeof createClient<typeof MemoryService>>;
const backfillJob = "memory-embeddings-backfill";

function config(baseUrl: string): string {
  return `
version = 1

[model_provider]
default_chat_model_id = "palyra-echo"
default_embeddings_model_id = "fake-embed"
max_retries = 0
failover_enabled = false

[[model_provider.providers]]
provider_id = "local"
kind = "deterministic"

[[model_provider.providers]]
provider_id = "fake"
kind = "openai_compatible"
base_url = "${baseUrl}"
allow_private_base_url = true
api_key = "sk-test-memory"

[[model_provider.models]]
model_id = "palyra-echo"
provider_id = "local"

[[model_provider.models]]
model_id = "fake-embed"
provider_id = "fake"
upstream_model = "text-embedding-3-small"
role = "embeddings"
`;
}

/** Puts items straight into the daemon's database, as Retain would store them. */
function insertItems(count: number, prefix: string): void {
  const db = new Database(gateway.databaseFile);
  try {
    db.pragma("busy_timeout = 5000");
    const insert = db.prepare(
      "INSERT INTO memory_items (memory_id, agent_id, session_id, source, run_id, text, content_hash, tags, bytes, expires_at, created_at) VALUES (?, ?, NULL, 'manual', NULL, ?, ?, '[]', ?, NULL, ?)",
    );
    db.transaction(() => {
      for (let index = 0; index < count; index++) {
        const text = `${prefix} memory number ${index}`;
        insert.run(`mem_${prefix}_${index}`, `agent-${index % 2}`, text, createHash("sha256").update(text).digest("hex"), Buffer.byteLength(text), Date.now());
      }
    })();
  } finally {
    db.close();
  }
}

function query<T>(sql: string, ...params: unknown[]): T[] {
  const db = new Database(gateway.databaseFile, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** The embeddings requests' batch sizes the upstream saw, from request `from` on. */
function batchSizes(from = 0): number[] {
  return upstream.requests.slice(from).map((request) => ((request.body as { input: string[] }).input ?? []).length);
}

/** Fires the job now and waits for its job run to end. */
async function runNow(jobId: string) {
  const { jobRun } = await cron.runJobNow({ jobId }, admin);
  return vi.waitFor(
    async () => {
      const { jobRun: current } = await cron.getJobRun({ jobRunId: jobRun?.jobRunId ?? "" }, admin);
      expect(current?.status).not.toBe(JobRunStatus.RUNNING);
      return current;
    },
    { timeout: 30_000, interval: 50 },
  );
}

beforeAll(async () => {
  upstream = await startFakeOpenAI({ apiKey: "sk-test-memory" });
  gateway = await startTestGateway({ configToml: config(upstream.baseUrl) });
  const transport = createGrpcTransport({ baseUrl: gateway.grpcBase });
  cron = createClient(CronService, transport);
  usage = createClient(UsageService, transport);
  memory = createClient(MemoryService, transport);
});

afterAll(async () => {
  await gateway?.stop();
  await upstream?.close();
});

describe("memory system jobs", () => {
  it("are hidden from ListJobs unless asked for, and not changeable through CronService", async () => {
    expect((await cron.listJobs({}, admin)).jobs).toEqual([]);
    const { jobs } = await cron.listJobs({ includeSystem: true }, admin);
    expect(jobs.map((job) => [job.jobId, job.source, job.owner])).toEqual([
      ["integrity-audit", "system", "admin"],
      [backfillJob, "system", "admin"],
      ["memory-maintenance", "system", "admin"],
    ]);
    expect(jobs.find((job) => job.jobId === backfillJob)?.schedule?.kind).toEqual({ case: "everyMs", value: 600_000n });
    await expect(cron.deleteJob({ jobId: "memory-maintenance" }, admin)).rejects.toThrow(/system job/);
  });

  it("backfills 130 items in batches of 64, 64 and 2 as system:memory, retrying a failed batch on the next tick", async () => {
    insertItems(130, "first");
    // The first call fails (no retries configured): that tick fails and embeds nothing.
    upstream.enqueue({ kind: "status", status: 503 });
    const failed = await runNow(backfillJob);
    expect(failed).toMatchObject({ status: JobRunStatus.FAILED });
    expect(failed?.message).toContain("retried on a later tick");
    expect(batchSizes()).toEqual([64]);

    const succeeded = await runNow(backfillJob);
    expect(succeeded).toMatchObject({ status: JobRunStatus.SUCCEEDED });
    expect(succeeded?.message).toContain("embedded 130 items in 3 batches");
    expect(succeeded?.inputTokens).toBeGreaterThan(0n);
    expect(batchSizes(1)).toEqual([64, 64, 2]);
    expect(upstream.requests.every((request) => (request.body as { model: string }).model === "text-embedding-3-small")).toBe(true);

    const ledger = query<{ status: string; n: number }>(
      "SELECT status, count(*) AS n FROM runs WHERE caller_id = 'system:memory' AND run_kind = 'embeddings' GROUP BY status ORDER BY status",
    );
    expect(ledger).toEqual([
      { status: "failed", n: 1 },
      { status: "succeeded", n: 3 },
    ]);
    const vectors = query<{ n: number; dims: number; bytes: number }>(
      "SELECT count(*) AS n, min(dimensions) AS dims, min(length(vector)) AS bytes FROM memory_vectors WHERE model_id = 'fake-embed'",
    );
    expect(vectors).toEqual([{ n: 130, dims: 8, bytes: 32 }]);
  });

  it("skips a backfill an exhausted budget refuses, reason budget_exceeded naming the policy", async () => {
    insertItems(3, "second");
    const before = upstream.requests.length;
    await usage.setBudgetPolicy(
      {
        policy: {
          policyId: "memory-broke",
          scopeKind: BudgetScopeKind.GLOBAL,
          metricKind: BudgetMetricKind.TOKENS,
          intervalKind: BudgetIntervalKind.DAILY,
          hardLimitValue: 1,
          action: BudgetAction.BLOCK,
          enabled: true,
        },
      },
      admin,
    );
    try {
      const skipped = await runNow(backfillJob);
      expect(skipped).toMatchObject({ status: JobRunStatus.SKIPPED, reason: "budget_exceeded" });
      expect(skipped?.message).toContain('"memory-broke"');
      expect(upstream.requests.length).toBe(before);
    } finally {
      await usage.deleteBudgetPolicy({ policyId: "memory-broke" }, admin);
    }
    expect(await runNow(backfillJob)).toMatchObject({ status: JobRunStatus.SUCCEEDED, message: expect.stringContaining("embedded 3 items") });
  });

  it("runs maintenance, recording counts before and after, and GetMemoryStatus shows the jobs' outcomes", async () => {
    const ended = await runNow("memory-maintenance");
    expect(ended).toMatchObject({ status: JobRunStatus.SUCCEEDED });
    expect(ended?.message).toMatch(/before: 133 items.*133 vectors.*after: 133 items/);
    const audited = await runNow("integrity-audit");
    expect(audited).toMatchObject({ status: JobRunStatus.SUCCEEDED, message: expect.stringMatching(/^audit: \d+ checked/) });

    const status = await memory.getMemoryStatus({}, admin);
    expect(status).toMatchObject({ items: 133n, awaitingEmbedding: 0n, embeddingModelId: "fake-embed" });
    expect(status.maintenance).toMatchObject({ jobId: "memory-maintenance", lastStatus: "succeeded" });
    expect(status.backfill).toMatchObject({ jobId: backfillJob, lastStatus: "succeeded", lastMessage: expect.stringContaining("embedded 3 items") });
    expect(status.audit).toMatchObject({ jobId: "integrity-audit", lastStatus: "succeeded" });
    expect(status.maintenance?.nextRunAt).toBeDefined();
  });

  it("shows the system jobs and their history in the CLI", async () => {
    const cli = async (...args: string[]) => {
      const result = await runPalyra(["cron", ...args, "--json", "--addr", gateway.grpcAddress], {
        cwd: gateway.stateDir,
        env: cleanEnv({ PALYRA_ADMIN_TOKEN: testToken }),
      });
      if (result.code !== 0) throw new Error(`palyra cron ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
      return JSON.parse(result.stdout) as Record<string, any>;
    };
    const listed = await cli("list", "--system");
    expect(listed.jobs.map((job: { jobId: string }) => job.jobId)).toEqual(["integrity-audit", backfillJob, "memory-maintenance"]);
    const runs = await cli("runs", backfillJob);
    expect(runs.jobRuns.map((run: { status: string }) => run.status)).toContain("JOB_RUN_STATUS_SKIPPED");
  });
});
