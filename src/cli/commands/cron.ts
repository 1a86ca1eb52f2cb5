import { type Command, InvalidArgumentError, Option } from "commander";
import {
  ConcurrencyPolicy,
  CreateJobResponse,
  DeleteJobResponse,
  GetJobResponse,
  Job,
  type JobRun,
  JobRunStatus,
  jobRunStatusToJSON,
  ListJobRunsResponse,
  ListJobsResponse,
  MisfirePolicy,
  RunJobNowResponse,
  UpdateJobResponse,
} from "../../../gen/grpc-js/palyra/gateway/v1/cron.js";
import { addClientFlags, type ClientFlags, positiveInteger, withDaemon } from "../client-flags.js";
import { parseDurationSeconds } from "../duration.js";
import { callUnary, type DaemonClients } from "../grpc-clients.js";
import { enumLabel, formatTable, formatTime, printJson, printLine, yesNo } from "../output.js";

interface AddFlags extends ClientFlags {
  id?: string;
  name: string;
  every?: number;
  cron?: string;
  tz?: string;
  at?: Date;
  prompt: string;
  model?: string;
  agentId?: string;
  concurrency: "forbid" | "replace" | "queue_one";
  misfire: "skip" | "catch_up";
  maxAttempts?: number;
  backoffMs?: number;
  jitterMs?: number;
  maxRuns?: number;
}

const concurrencies = {
  forbid: ConcurrencyPolicy.CONCURRENCY_POLICY_FORBID,
  replace: ConcurrencyPolicy.CONCURRENCY_POLICY_REPLACE,
  queue_one: ConcurrencyPolicy.CONCURRENCY_POLICY_QUEUE_ONE,
};
const misfires = { skip: MisfirePolicy.MISFIRE_POLICY_SKIP, catch_up: MisfirePolicy.MISFIRE_POLICY_CATCH_UP };

/** palyra cron add | list | show | runs | run | enable | disable | remove: the CronService RPCs. */
export function registerCronCommand(cron: Command): void {
  addClientFlags(cron.command("add").description("schedule a prompt as an agent run"))
    .requiredOption("--name <name>", "what the job is for")
    .option("--id <job-id>", "the job's id (default: the daemon picks one)")
    .option("--every <duration>", "run at this interval, such as 30s, 5m or 1h", parseDurationSeconds)
    .option("--cron <expression>", 'a 5-field cron expression, such as "0 9 * * 1-5"')
    .option("--tz <zone>", "IANA time zone of --cron (default: [automation] timezone, else UTC)")
    .option("--at <instant>", "run once at this RFC 3339 instant, such as 2026-12-24T18:00:00Z", parseInstant)
    .requiredOption("--prompt <text>", "the user message each run sends")
    .option("--model <id>", "registry model (default: the gateway chooses)")
    .option("--agent-id <id>", "the agent the runs belong to (its budgets, auth profiles and ledger rows)")
    .addOption(new Option("--concurrency <policy>", "a tick while a run is active").choices(Object.keys(concurrencies)).default("forbid"))
    .addOption(new Option("--misfire <policy>", "ticks missed while the daemon was down").choices(Object.keys(misfires)).default("skip"))
    .option("--max-attempts <n>", "tries per tick for transient failures, 1-16 (default: 1)", positiveInteger)
    .option("--backoff-ms <n>", "wait before the second try, doubling per try (default: 1000)", nonNegativeInteger)
    .option("--jitter-ms <n>", "delay each tick by a fixed offset below this, 0-60000 (default: 0)", nonNegativeInteger)
    .option("--max-runs <n>", "disable the job after this many runs", positiveInteger)
    .action(async (flags: AddFlags) => {
      const job = jobFromFlags(flags);
      const response = await withDaemon(flags, (clients) => {
        const client = clients.cron();
        return callUnary<CreateJobResponse>((done) => client.createJob({ job }, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) return printJson(CreateJobResponse.toJSON(response));
      if (response.job)
        printLine(`created job ${response.job.jobId}: ${describeSchedule(response.job)}, next run ${formatTime(response.job.nextRunAt, "never")}`);
    });

  addClientFlags(cron.command("list").description("list jobs (a client key sees only its own)"))
    .option("--system", "also list the daemon's own system jobs (memory maintenance, embeddings backfill, integrity audit)")
    .action(async (flags: ClientFlags & { system?: boolean }) => {
      const jobs = await withDaemon(flags, (clients) => listAllJobs(clients, flags.system === true));
      if (flags.json) return printJson(ListJobsResponse.toJSON({ jobs, nextPageToken: "" }));
      const headers = ["id", "name", "schedule", "agent", "enabled", "next run", "last run", "runs", "source"];
      printLine(formatTable(headers, jobs.map(jobRow)));
    });

  addClientFlags(cron.command("show").description("show one job"))
    .argument("<id>", "the job id (from cron list)")
    .action(async (jobId: string, flags: ClientFlags) => {
      const response = await withDaemon(flags, (clients) => getJob(clients, jobId));
      if (flags.json) return printJson(GetJobResponse.toJSON(response));
      const job = response.job;
      if (job === undefined) return;
      const lines: [string, string][] = [
        ["id", job.jobId],
        ["name", job.name],
        ["schedule", describeSchedule(job)],
        ["prompt", job.run?.prompt ?? "(message envelope)"],
        ["model", job.run?.model || "(gateway chooses)"],
        ["agent", job.agentId || "-"],
        ["owner", job.owner],
        ["source", job.source],
        ["enabled", yesNo(job.enabled ?? true)],
        ["concurrency", enumLabel(ConcurrencyPolicy[job.concurrency] ?? "", "CONCURRENCY_POLICY_")],
        ["misfire", enumLabel(MisfirePolicy[job.misfire] ?? "", "MISFIRE_POLICY_")],
        ["retry", describeRetry(job)],
        ["jitter", `${job.jitterMs} ms`],
        ["runs", job.maxRuns === undefined ? String(job.runCount) : `${job.runCount} of ${job.maxRuns}`],
        ["next run", formatTime(job.nextRunAt, "never")],
        ["last run", formatTime(job.lastRunAt)],
      ];
      for (const [label, value] of lines) printLine(`${`${label}:`.padEnd(13)}${value}`);
    });

  addClientFlags(cron.command("runs").description("a job's runs, newest first"))
    .argument("<id>", "the job id")
    .option("--limit <n>", "how many (default: 20)", positiveInteger)
    .action(async (jobId: string, flags: ClientFlags & { limit?: number }) => {
      const response = await withDaemon(flags, (clients) => {
        const client = clients.cron();
        return callUnary<ListJobRunsResponse>((done) =>
          client.listJobRuns({ jobId, pageSize: flags.limit ?? 20, pageToken: "" }, clients.metadata(), clients.unaryOptions(), done),
        );
      });
      if (flags.json) return printJson(ListJobRunsResponse.toJSON(response));
      const headers = ["job run", "tick", "attempt", "status", "reason", "run", "tokens in/out", "cost usd"];
      printLine(formatTable(headers, response.jobRuns.map(jobRunRow)));
    });

  addClientFlags(cron.command("run").description("run a job now, outside its schedule"))
    .argument("<id>", "the job id")
    .action(async (jobId: string, flags: ClientFlags) => {
      const response = await withDaemon(flags, (clients) => {
        const client = clients.cron();
        return callUnary<RunJobNowResponse>((done) => client.runJobNow({ jobId }, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) return printJson(RunJobNowResponse.toJSON(response));
      const run = response.jobRun;
      if (run) printLine(`job ${jobId}: ${statusLabel(run)}${run.reason ? ` (${run.reason})` : ""}${run.jobRunId ? `, job run ${run.jobRunId}` : ""}`);
    });

  for (const [name, enabled] of [
    ["enable", true],
    ["disable", false],
  ] as const) {
    addClientFlags(cron.command(name).description(`${name} a job`))
      .argument("<id>", "the job id")
      .action(async (jobId: string, flags: ClientFlags) => {
        const response = await withDaemon(flags, async (clients) => {
          const current = (await getJob(clients, jobId)).job;
          const client = clients.cron();
          const job = { ...current, enabled } as Job;
          return callUnary<UpdateJobResponse>((done) => client.updateJob({ job }, clients.metadata(), clients.unaryOptions(), done));
        });
        if (flags.json) return printJson(UpdateJobResponse.toJSON(response));
        printLine(`${name}d job ${jobId}; next run ${formatTime(response.job?.nextRunAt, "never")}`);
      });
  }

  addClientFlags(cron.command("remove").description("remove a job and its history (an active run is cancelled)"))
    .argument("<id>", "the job id")
    .action(async (jobId: string, flags: ClientFlags) => {
      const response = await withDaemon(flags, (clients) => {
        const client = clients.cron();
        return callUnary<DeleteJobResponse>((done) => client.deleteJob({ jobId }, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) return printJson(DeleteJobResponse.toJSON(response));
      printLine(response.deleted ? `removed job ${jobId}` : `no job ${jobId}`);
    });
}

function jobFromFlags(flags: AddFlags): Job {
  const schedules = [flags.every, flags.cron, flags.at].filter((value) => value !== undefined);
  if (schedules.length !== 1) throw new InvalidArgumentError("give exactly one of --every, --cron or --at");
  if (flags.tz !== undefined && flags.cron === undefined) throw new InvalidArgumentError("--tz applies only to --cron");
  return Job.fromPartial({
    jobId: flags.id ?? "",
    name: flags.name,
    run: { prompt: flags.prompt, model: flags.model ?? "" },
    agentId: flags.agentId ?? "",
    enabled: true,
    schedule:
      flags.every !== undefined
        ? { everyMs: flags.every * 1000 }
        : flags.cron !== undefined
          ? { cron: { expression: flags.cron, timezone: flags.tz ?? "" } }
          : { at: flags.at },
    concurrency: concurrencies[flags.concurrency],
    misfire: misfires[flags.misfire],
    maxCatchUp: 0,
    retry: { maxAttempts: flags.maxAttempts ?? 1, backoffMs: flags.backoffMs ?? 0 },
    jitterMs: flags.jitterMs ?? 0,
    ...(flags.maxRuns !== undefined && { maxRuns: flags.maxRuns }),
  });
}

async function listAllJobs(clients: DaemonClients, includeSystem: boolean): Promise<Job[]> {
  const client = clients.cron();
  const jobs: Job[] = [];
  let pageToken = "";
  do {
    const page = await callUnary<ListJobsResponse>((done) =>
      client.listJobs({ pageSize: 500, pageToken, includeSystem }, clients.metadata(), clients.unaryOptions(), done),
    );
    jobs.push(...page.jobs);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return jobs;
}

function getJob(clients: DaemonClients, jobId: string): Promise<GetJobResponse> {
  const client = clients.cron();
  return callUnary<GetJobResponse>((done) => client.getJob({ jobId }, clients.metadata(), clients.unaryOptions(), done));
}

function describeRetry(job: Job): string {
  const attempts = job.retry?.maxAttempts ?? 1;
  return attempts <= 1 ? "no retries" : `up to ${attempts} attempts, backoff ${job.retry?.backoffMs ?? 0} ms doubling`;
}

function describeSchedule(job: Job): string {
  const schedule = job.schedule;
  if (schedule?.cron) return `cron "${schedule.cron.expression}" (${schedule.cron.timezone || "UTC"})`;
  if (schedule?.everyMs !== undefined) return `every ${schedule.everyMs} ms`;
  return `at ${formatTime(schedule?.at)}`;
}

function jobRow(job: Job): string[] {
  return [
    job.jobId,
    job.name,
    describeSchedule(job),
    job.agentId || "-",
    yesNo(job.enabled ?? true),
    formatTime(job.nextRunAt, "never"),
    formatTime(job.lastRunAt),
    job.maxRuns === undefined ? String(job.runCount) : `${job.runCount}/${job.maxRuns}`,
    job.source,
  ];
}

function statusLabel(run: JobRun): string {
  return run.status === JobRunStatus.JOB_RUN_STATUS_UNSPECIFIED ? "queued" : enumLabel(jobRunStatusToJSON(run.status), "JOB_RUN_STATUS_");
}

function jobRunRow(run: JobRun): string[] {
  return [
    run.jobRunId,
    formatTime(run.tickAt),
    String(run.attempt),
    statusLabel(run),
    run.reason || "-",
    run.runId || "-",
    `${run.inputTokens}/${run.outputTokens}`,
    run.costUsd.toFixed(6),
  ];
}

function parseInstant(value: string): Date {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(value.trim())) {
    throw new InvalidArgumentError("must be an RFC 3339 instant such as 2026-12-24T18:00:00Z");
  }
  return new Date(value.trim());
}

function nonNegativeInteger(value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed)) throw new InvalidArgumentError("must be a whole number, 0 or more");
  return parsed;
}
