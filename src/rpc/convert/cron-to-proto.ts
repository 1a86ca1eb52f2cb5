import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  type JobRunSchema,
  type JobSchema,
  ConcurrencyPolicy as ProtoConcurrency,
  type Job as ProtoJob,
  JobRunStatus as ProtoJobRunStatus,
  MisfirePolicy as ProtoMisfire,
} from "../../../gen/es/palyra/gateway/v1/cron_pb.js";
import type { JobDefinition } from "../../automation/job-definition.js";
import { runSpecFromJson } from "../../automation/run-spec.js";
import { invalidRequest } from "../../shared/errors.js";
import type { ConcurrencyPolicy, CronJobRow, JobRunRow, JobRunStatus, MisfirePolicy } from "../../store/automation-tables.js";
import { runSpecFromProto, runSpecToProto } from "./run-spec-proto.js";

const concurrencyFromProto: Record<ProtoConcurrency, ConcurrencyPolicy> = {
  // Unset: forbid, the safe default.
  [ProtoConcurrency.UNSPECIFIED]: "forbid",
  [ProtoConcurrency.FORBID]: "forbid",
  [ProtoConcurrency.REPLACE]: "replace",
  [ProtoConcurrency.QUEUE_ONE]: "queue_one",
};
const concurrencyToProto: Record<ConcurrencyPolicy, ProtoConcurrency> = {
  forbid: ProtoConcurrency.FORBID,
  replace: ProtoConcurrency.REPLACE,
  queue_one: ProtoConcurrency.QUEUE_ONE,
};
const misfireFromProto: Record<ProtoMisfire, MisfirePolicy> = {
  [ProtoMisfire.UNSPECIFIED]: "skip",
  [ProtoMisfire.SKIP]: "skip",
  [ProtoMisfire.CATCH_UP]: "catch_up",
};
const misfireToProto: Record<MisfirePolicy, ProtoMisfire> = { skip: ProtoMisfire.SKIP, catch_up: ProtoMisfire.CATCH_UP };
const statusToProto: Record<JobRunStatus, ProtoJobRunStatus> = {
  running: ProtoJobRunStatus.RUNNING,
  succeeded: ProtoJobRunStatus.SUCCEEDED,
  failed: ProtoJobRunStatus.FAILED,
  skipped: ProtoJobRunStatus.SKIPPED,
  cancelled: ProtoJobRunStatus.CANCELLED,
  interrupted: ProtoJobRunStatus.INTERRUPTED,
};

/** A Job message as a definition; zero values take the documented defaults. */
export function jobFromProto(job: ProtoJob | undefined): JobDefinition {
  if (job === undefined) throw invalidRequest("job", "is required");
  const run = job.run;
  if (run === undefined) throw invalidRequest("job.run", "is required");
  const schedule = job.schedule?.kind;
  const concurrency = concurrencyFromProto[job.concurrency];
  const misfire = misfireFromProto[job.misfire];
  if (concurrency === undefined) throw invalidRequest("job.concurrency", `unknown policy ${job.concurrency}`);
  if (misfire === undefined) throw invalidRequest("job.misfire", `unknown policy ${job.misfire}`);
  return {
    jobId: job.jobId,
    name: job.name || job.jobId,
    run: runSpecFromProto(run),
    agentId: job.agentId || undefined,
    enabled: job.enabled ?? true,
    schedule:
      schedule?.case === "cron"
        ? { kind: "cron", expression: schedule.value.expression, timezone: schedule.value.timezone || undefined }
        : schedule?.case === "everyMs"
          ? { kind: "every", everyMs: safeNumber(schedule.value, "job.schedule.every_ms") }
          : schedule?.case === "at"
            ? { kind: "at", atMs: timestampDate(schedule.value).getTime() }
            : undefined,
    concurrency,
    misfire,
    maxCatchUp: job.maxCatchUp || 3,
    maxAttempts: job.retry?.maxAttempts || 1,
    backoffMs: job.retry ? safeNumber(job.retry.backoffMs, "job.retry.backoff_ms") || 1000 : 1000,
    jitterMs: job.jitterMs,
    maxRuns: job.maxRuns,
  };
}

export function jobToProto(row: CronJobRow): MessageInitShape<typeof JobSchema> {
  return {
    jobId: row.job_id,
    name: row.name,
    run: runSpecToProto(runSpecFromJson(row.run_spec)),
    agentId: row.agent_id ?? "",
    owner: row.owner,
    enabled: row.enabled === 1,
    schedule: {
      kind:
        row.schedule_kind === "cron"
          ? { case: "cron", value: { expression: row.cron_expression ?? "", timezone: row.timezone ?? "" } }
          : row.schedule_kind === "every"
            ? { case: "everyMs", value: BigInt(row.every_ms ?? 0) }
            : { case: "at", value: timestampFromMs(Number(row.at_ms)) },
    },
    concurrency: concurrencyToProto[row.concurrency],
    misfire: misfireToProto[row.misfire],
    maxCatchUp: row.max_catch_up,
    retry: { maxAttempts: row.max_attempts, backoffMs: BigInt(row.backoff_ms) },
    jitterMs: row.jitter_ms,
    ...(row.max_runs !== null && { maxRuns: row.max_runs }),
    ...(row.next_run_at !== null && { nextRunAt: timestampFromMs(Number(row.next_run_at)) }),
    ...(row.last_run_at !== null && { lastRunAt: timestampFromMs(Number(row.last_run_at)) }),
    createdAt: timestampFromMs(Number(row.created_at)),
    updatedAt: timestampFromMs(Number(row.updated_at)),
    source: row.source,
    runCount: row.run_count,
  };
}

export function jobRunToProto(row: JobRunRow): MessageInitShape<typeof JobRunSchema> {
  return {
    jobRunId: row.job_run_id,
    jobId: row.job_id,
    tickAt: timestampFromMs(Number(row.tick_at)),
    attempt: row.attempt,
    runId: row.run_id ?? "",
    status: statusToProto[row.status],
    reason: row.reason ?? "",
    message: row.message ?? "",
    startedAt: timestampFromMs(Number(row.started_at)),
    ...(row.finished_at !== null && { finishedAt: timestampFromMs(Number(row.finished_at)) }),
    inputTokens: BigInt(row.input_tokens),
    outputTokens: BigInt(row.output_tokens),
    costUsd: row.cost_usd,
    costEstimated: row.cost_estimated === 1,
  };
}

function safeNumber(value: bigint, param: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw invalidRequest(param, "is too large");
  return Number(value);
}
