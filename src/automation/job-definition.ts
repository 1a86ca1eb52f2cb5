import { invalidRequest } from "../shared/errors.js";
import type { ConcurrencyPolicy, CronJobRow, MisfirePolicy } from "../store/automation-tables.js";
import { checkRunSpec, type RunSpec, runSpecToJson } from "./run-spec.js";
import { maxJitterMs } from "./schedule/jitter.js";
import { cronProblem, type JobSchedule, nextTickAfter } from "./schedule/next-tick.js";

/** What a job is, as CronService or [[automation.jobs]] give it (the daemon sets owner, source and times). */
export interface JobDefinition {
  /** Empty: the daemon picks one. */
  jobId: string;
  name: string;
  run: RunSpec;
  agentId: string | undefined;
  enabled: boolean;
  schedule: { kind: "cron"; expression: string; timezone: string | undefined } | { kind: "every"; everyMs: number } | { kind: "at"; atMs: number } | undefined;
  concurrency: ConcurrencyPolicy;
  misfire: MisfirePolicy;
  maxCatchUp: number;
  maxAttempts: number;
  backoffMs: number;
  jitterMs: number;
  maxRuns: number | undefined;
}

export const jobIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Checks a definition, throwing invalid_request naming the field (under `prefix`, such as "job").
 * `at` must be in the future when `now` is given (a new job through the RPCs).
 */
export function checkJobDefinition(job: JobDefinition, prefix: string, defaultTimezone: string, futureAfter?: number): void {
  const field = (name: string) => `${prefix}.${name}`;
  if (job.jobId !== "" && !jobIdPattern.test(job.jobId))
    throw invalidRequest(field("job_id"), "must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit");
  if (job.name.length > 256) throw invalidRequest(field("name"), "must be at most 256 characters");
  checkRunSpec(job.run, field("run"), job.agentId);
  if (job.run.maxTokens !== undefined && job.run.maxTokens <= 0) throw invalidRequest(field("run.max_tokens"), "must be positive");
  const schedule = job.schedule;
  if (schedule === undefined) throw invalidRequest(field("schedule"), "needs exactly one of cron, every_ms or at");
  if (schedule.kind === "cron") {
    const problem = cronProblem(schedule.expression, schedule.timezone || defaultTimezone);
    if (problem !== undefined) throw invalidRequest(field("schedule.cron"), problem);
  } else if (schedule.kind === "every") {
    if (!Number.isSafeInteger(schedule.everyMs) || schedule.everyMs < 1000)
      throw invalidRequest(field("schedule.every_ms"), "must be at least 1000 (one second)");
  } else if (futureAfter !== undefined && schedule.atMs <= futureAfter) {
    throw invalidRequest(field("schedule.at"), "must be in the future");
  }
  if (job.maxCatchUp < 1 || job.maxCatchUp > 100) throw invalidRequest(field("max_catch_up"), "must be 1-100");
  if (job.maxAttempts < 1 || job.maxAttempts > 16) throw invalidRequest(field("retry.max_attempts"), "must be 1-16");
  if (job.backoffMs < 0 || job.backoffMs > 600_000) throw invalidRequest(field("retry.backoff_ms"), "must be 0-600000");
  if (job.jitterMs < 0 || job.jitterMs > maxJitterMs) throw invalidRequest(field("jitter_ms"), `must be 0-${maxJitterMs}`);
  if (job.maxRuns !== undefined && job.maxRuns < 1) throw invalidRequest(field("max_runs"), "must be at least 1 (leave it unset for no limit)");
}

export type DefinitionColumns = Omit<CronJobRow, "job_id" | "owner" | "source" | "created_at" | "updated_at" | "next_run_at" | "last_run_at" | "run_count">;

/** The row's definition columns (not owner, source, counts or times). */
export function definitionColumns(job: JobDefinition, defaultTimezone: string): DefinitionColumns {
  const schedule = job.schedule;
  if (schedule === undefined) throw invalidRequest("schedule", "is required");
  return {
    name: job.name,
    agent_id: job.agentId ?? null,
    enabled: job.enabled ? 1 : 0,
    run_spec: runSpecToJson(job.run),
    schedule_kind: schedule.kind,
    cron_expression: schedule.kind === "cron" ? schedule.expression : null,
    timezone: schedule.kind === "cron" ? schedule.timezone || defaultTimezone : null,
    every_ms: schedule.kind === "every" ? schedule.everyMs : null,
    at_ms: schedule.kind === "at" ? schedule.atMs : null,
    concurrency: job.concurrency,
    misfire: job.misfire,
    max_catch_up: job.maxCatchUp,
    max_attempts: job.maxAttempts,
    backoff_ms: job.backoffMs,
    jitter_ms: job.jitterMs,
    max_runs: job.maxRuns ?? null,
  };
}

type ScheduleColumns = Pick<CronJobRow, "schedule_kind" | "cron_expression" | "timezone" | "every_ms" | "at_ms" | "created_at">;

/** A stored job's schedule (an interval counts from the job's creation). */
export function scheduleOf(row: ScheduleColumns): JobSchedule {
  if (row.schedule_kind === "cron") return { kind: "cron", expression: row.cron_expression ?? "", timezone: row.timezone ?? "UTC" };
  if (row.schedule_kind === "every") return { kind: "every", everyMs: Number(row.every_ms), anchorMs: Number(row.created_at) };
  return { kind: "at", atMs: Number(row.at_ms) };
}

/** Whether two rows fire at the same times (an update that keeps the schedule keeps its next tick). */
export function sameSchedule(a: ScheduleColumns, b: ScheduleColumns): boolean {
  return (
    a.schedule_kind === b.schedule_kind &&
    a.cron_expression === b.cron_expression &&
    a.timezone === b.timezone &&
    a.every_ms === b.every_ms &&
    a.at_ms === b.at_ms
  );
}

/** The next tick after `now` of an enabled job; null when disabled or when it has none. */
export function nextRunAt(row: ScheduleColumns & { enabled: number }, now: number): number | null {
  if (row.enabled !== 1) return null;
  return nextTickAfter(scheduleOf(row), now) ?? null;
}
