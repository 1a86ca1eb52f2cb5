import type { Generated, Insertable, Selectable, Updateable } from "kysely";

// Row types of the automation tables (migration 0010): jobs, job runs, tasks, incidents.
// Times are milliseconds since the epoch.

export type JobScheduleKind = "cron" | "every" | "at";
export type ConcurrencyPolicy = "forbid" | "replace" | "queue_one";
export type MisfirePolicy = "skip" | "catch_up";
// system: the daemon's own jobs (memory maintenance, embeddings backfill, integrity audit), registered at start.
export type JobSource = "config" | "runtime" | "system";

export interface CronJobsTable {
  job_id: string;
  name: string;
  owner: string;
  agent_id: string | null;
  source: JobSource;
  enabled: number;
  /** JSON of a RunSpec (shared/run-spec.ts). */
  run_spec: string;
  schedule_kind: JobScheduleKind;
  cron_expression: string | null;
  timezone: string | null;
  every_ms: number | null;
  at_ms: number | null;
  concurrency: ConcurrencyPolicy;
  misfire: MisfirePolicy;
  max_catch_up: number;
  max_attempts: number;
  backoff_ms: number;
  jitter_ms: number;
  max_runs: number | null;
  run_count: Generated<number>;
  next_run_at: number | null;
  last_run_at: number | null;
  created_at: number;
  updated_at: number;
}

export type JobRunStatus = "running" | "succeeded" | "failed" | "skipped" | "cancelled" | "interrupted";

export interface JobRunsTable {
  job_run_id: string;
  job_id: string;
  tick_at: number;
  attempt: number;
  run_id: string | null;
  status: JobRunStatus;
  reason: string | null;
  message: string | null;
  started_at: number;
  finished_at: number | null;
  heartbeat_at: number | null;
  input_tokens: Generated<number>;
  output_tokens: Generated<number>;
  cost_usd: Generated<number>;
  cost_estimated: Generated<number>;
}

export type TaskState = "queued" | "running" | "succeeded" | "failed" | "cancelled" | "expired";

export interface TasksTable {
  task_id: string;
  owner: string;
  agent_id: string | null;
  /** JSON of a RunSpec (shared/run-spec.ts). */
  run_spec: string;
  not_before: number;
  expires_at: number | null;
  max_attempts: number;
  parent_run_id: string | null;
  state: TaskState;
  attempts: Generated<number>;
  requeues: Generated<number>;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  heartbeat_at: number | null;
  run_id: string | null;
  result_text: string | null;
  input_tokens: Generated<number>;
  output_tokens: Generated<number>;
  cost_usd: Generated<number>;
  cost_estimated: Generated<number>;
  error_kind: string | null;
  error_message: string | null;
}

export type IncidentState = "open" | "remediating" | "resolved";
export type IncidentSeverity = "info" | "warning" | "critical";
/** The integrity audit's incidents are about a vault secret, a secret reference, a budget counter or a run's ledger row. */
export type IncidentObjectKind = "run" | "job_run" | "task" | "secret" | "secret_reference" | "budget_counter" | "run_record";

export interface IncidentsTable {
  incident_id: string;
  kind: string;
  severity: IncidentSeverity;
  object_kind: IncidentObjectKind;
  object_id: string;
  summary: string;
  first_seen_at: number;
  last_seen_at: number;
  count: Generated<number>;
  state: IncidentState;
  remediation: string | null;
  resolved_at: number | null;
}

export type CronJobRow = Selectable<CronJobsTable>;
export type NewCronJobRow = Insertable<CronJobsTable>;
export type CronJobRowUpdate = Updateable<CronJobsTable>;
export type JobRunRow = Selectable<JobRunsTable>;
export type NewJobRunRow = Insertable<JobRunsTable>;
export type JobRunRowUpdate = Updateable<JobRunsTable>;
export type TaskRow = Selectable<TasksTable>;
export type NewTaskRow = Insertable<TasksTable>;
export type TaskRowUpdate = Updateable<TasksTable>;
export type IncidentRow = Selectable<IncidentsTable>;
