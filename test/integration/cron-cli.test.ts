import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";
import { cleanEnv, runPalyra } from "./support/palyra-process.js";

// `palyra cron …` against a running daemon, each command with --json, as a script would use them.

let gateway: TestGateway;

beforeAll(async () => {
  gateway = await startTestGateway();
});

afterAll(async () => {
  await gateway?.stop();
});

async function cron(...args: string[]): Promise<Record<string, any>> {
  const result = await runPalyra(["cron", ...args, "--json", "--addr", gateway.grpcAddress], {
    cwd: gateway.stateDir,
    env: cleanEnv({ PALYRA_ADMIN_TOKEN: testToken }),
  });
  if (result.code !== 0) throw new Error(`palyra cron ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, any>;
}

describe("palyra cron", () => {
  it("adds, lists, shows, runs, disables, enables and removes a job", async () => {
    const added = await cron(
      "add",
      "--name",
      "hourly check",
      "--every",
      "1h",
      "--prompt",
      "all good?",
      "--agent-id",
      "ops",
      "--jitter-ms",
      "500",
      "--max-attempts",
      "3",
    );
    const jobId = added.job.jobId as string;
    expect(added.job).toMatchObject({
      name: "hourly check",
      agentId: "ops",
      enabled: true,
      schedule: { everyMs: 3600000 },
      jitterMs: 500,
      retry: { maxAttempts: 3 },
    });

    const listed = await cron("list");
    expect(listed.jobs.map((job: { jobId: string }) => job.jobId)).toEqual([jobId]);
    expect((await cron("show", jobId)).job).toMatchObject({ jobId, owner: "admin", source: "runtime" });

    const ran = await cron("run", jobId);
    expect(ran.jobRun).toMatchObject({ jobId, status: "JOB_RUN_STATUS_RUNNING", attempt: 1 });
    const runs = await cron("runs", jobId);
    expect(runs.jobRuns.map((run: { jobRunId: string }) => run.jobRunId)).toEqual([ran.jobRun.jobRunId]);

    const disabled = await cron("disable", jobId);
    expect(disabled.job.enabled ?? false).toBe(false);
    expect(disabled.job.nextRunAt).toBeUndefined();
    const enabled = await cron("enable", jobId);
    expect(enabled.job).toMatchObject({ enabled: true, name: "hourly check", jitterMs: 500 });
    expect(enabled.job.nextRunAt).toBeDefined();

    expect(await cron("remove", jobId)).toEqual({ deleted: true });
    expect((await cron("list")).jobs ?? []).toEqual([]);
  });

  it("refuses a cron add without exactly one schedule, before calling the daemon", async () => {
    const result = await runPalyra(["cron", "add", "--name", "x", "--prompt", "y", "--every", "5m", "--cron", "0 9 * * *", "--addr", gateway.grpcAddress], {
      cwd: gateway.stateDir,
      env: cleanEnv({ PALYRA_ADMIN_TOKEN: testToken }),
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("exactly one of --every, --cron or --at");
  });
});
