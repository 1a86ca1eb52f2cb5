import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it, vi } from "vitest";
import { CronService, type JobRun, JobRunStatus } from "../../gen/es/palyra/gateway/v1/cron_pb.js";
import { cleanEnv, type PalyraProcess, startDaemon } from "./support/palyra-process.js";

// A daemon killed during a scheduled run: at the next start the job run is closed as interrupted
// (not left running forever), the ticks missed meanwhile follow the misfire policy, and the schedule
// goes on. Then a clean stop: the job run in flight is cancelled and recorded before the store closes.

const token = "cron-crash-token";
const env = cleanEnv({ PALYRA_ADMIN_TOKEN: token, PALYRA__DAEMON__LOG_LEVEL: "warn" });
const auth = { headers: { authorization: `Bearer ${token}` } };

// glacial-echo waits a minute before each chunk: a run of it is in flight whatever the machine's pace.
const config = `
version = 1

[daemon]
shutdown_grace_ms = 100

[model_provider]
default_chat_model_id = "palyra-echo"

[[model_provider.providers]]
provider_id = "glacial"
kind = "deterministic"
stream_chunk_delay_ms = 60000

[[model_provider.models]]
model_id = "glacial-echo"
provider_id = "glacial"

[[model_provider.models]]
model_id = "palyra-echo"
provider_id = "glacial"

[[automation.jobs]]
job_id = "slow"
prompt = "take your time"
model = "glacial-echo"
every_ms = 1000
agent_id = "night-shift"
`;

const stateDir = mkdtempSync(join(tmpdir(), "palyra-cron-crash-"));
const configFile = join(stateDir, "cron.toml");
writeFileSync(configFile, config);
const daemons: PalyraProcess[] = [];

afterAll(async () => {
  for (const daemon of daemons) {
    if (daemon.running) daemon.child.kill("SIGKILL");
    await daemon.exited;
  }
});

async function start() {
  const { daemon, ready } = await startDaemon(["--config", configFile, "--state-dir", stateDir, "--grpc-bind", "127.0.0.1:0", "--http-bind", "127.0.0.1:0"], {
    cwd: stateDir,
    env,
  });
  daemons.push(daemon);
  return { daemon, cron: createClient(CronService, createGrpcTransport({ baseUrl: `http://${ready.grpc}` })) };
}

/** Waits until the job has a running job run whose run was admitted (not `except`), and returns it. */
async function runningJobRun(cron: ReturnType<typeof createClient<typeof CronService>>, except?: string): Promise<JobRun> {
  return vi.waitFor(
    async () => {
      const { jobRuns } = await cron.listJobRuns({ jobId: "slow" }, auth);
      const running = jobRuns.find((run) => run.status === JobRunStatus.RUNNING && run.runId !== "" && run.jobRunId !== except);
      expect(running).toBeDefined();
      return running as JobRun;
    },
    { timeout: 60_000, interval: 100 },
  );
}

describe("a daemon killed during a scheduled run", () => {
  it("closes the job run as interrupted at the next start, and the next tick fires", async () => {
    const first = await start();
    const killed = await runningJobRun(first.cron);
    first.daemon.child.kill("SIGKILL");
    await first.daemon.exited;

    const second = await start();
    const { jobRun: closed } = await second.cron.getJobRun({ jobRunId: killed.jobRunId }, auth);
    expect(closed).toMatchObject({ status: JobRunStatus.INTERRUPTED, reason: "interrupted", runId: killed.runId });
    expect(closed?.finishedAt).toBeDefined();
    // The next tick starts a new run of the job in the new daemon.
    const next = await runningJobRun(second.cron, killed.jobRunId);
    expect(next.runId).not.toBe(killed.runId);

    second.daemon.child.kill("SIGTERM");
    expect((await second.daemon.exited).code).toBe(0);
    const db = new Database(join(stateDir, "palyra.sqlite"), { readonly: true });
    try {
      const rows = db.prepare("SELECT job_run_id, status, reason FROM job_runs WHERE job_id = 'slow'").all() as {
        job_run_id: string;
        status: string;
        reason: string | null;
      }[];
      // Nothing is left running: the stop cancelled the run in flight and recorded it.
      expect(rows.filter((row) => row.status === "running")).toEqual([]);
      expect(rows.find((row) => row.job_run_id === next.jobRunId)).toMatchObject({ status: "cancelled", reason: "cancelled" });
      expect(db.prepare("SELECT status, error_kind, agent_id FROM runs WHERE run_id = ?").get(killed.runId)).toEqual({
        status: "failed",
        error_kind: "interrupted",
        agent_id: "night-shift",
      });
    } finally {
      db.close();
    }
  });
});
