import { type Kysely, sql } from "kysely";

// Released migrations never change; add a new file instead.
// Automation: scheduled jobs and their job runs, the background task queue, the watchdog's
// incidents, and the heartbeat of runs in flight (whose usage so far rides in the usage columns).
export async function up(db: Kysely<any>): Promise<void> {
  // Milliseconds since the epoch of the last sign of progress; null once the run ended (or before the first).
  await db.schema.alterTable("runs").addColumn("heartbeat_at", "bigint").execute();

  await db.schema
    .createTable("cron_jobs")
    .addColumn("job_id", "varchar(128)", (column) => column.primaryKey())
    .addColumn("name", "varchar(256)", (column) => column.notNull())
    // "admin" or the API key id that created it.
    .addColumn("owner", "varchar(128)", (column) => column.notNull())
    .addColumn("agent_id", "varchar(256)")
    // config | runtime
    .addColumn("source", "varchar(16)", (column) => column.notNull())
    .addColumn("enabled", "integer", (column) => column.notNull().defaultTo(1))
    // JSON: the run each tick starts (automation/job-definition.ts).
    .addColumn("run_spec", sql`text`, (column) => column.notNull())
    // cron | every | at
    .addColumn("schedule_kind", "varchar(8)", (column) => column.notNull())
    .addColumn("cron_expression", "varchar(256)")
    .addColumn("timezone", "varchar(64)")
    .addColumn("every_ms", "bigint")
    .addColumn("at_ms", "bigint")
    // forbid | replace | queue_one
    .addColumn("concurrency", "varchar(16)", (column) => column.notNull())
    // skip | catch_up
    .addColumn("misfire", "varchar(16)", (column) => column.notNull())
    .addColumn("max_catch_up", "integer", (column) => column.notNull())
    .addColumn("max_attempts", "integer", (column) => column.notNull())
    .addColumn("backoff_ms", "bigint", (column) => column.notNull())
    .addColumn("jitter_ms", "integer", (column) => column.notNull())
    .addColumn("max_runs", "integer")
    .addColumn("run_count", "integer", (column) => column.notNull().defaultTo(0))
    // The schedule's next tick (before jitter); null when it has none (disabled, or an "at" that fired).
    .addColumn("next_run_at", "bigint")
    .addColumn("last_run_at", "bigint")
    .addColumn("created_at", "bigint", (column) => column.notNull())
    .addColumn("updated_at", "bigint", (column) => column.notNull())
    .execute();
  await db.schema.createIndex("cron_jobs_owner_idx").on("cron_jobs").columns(["owner", "job_id"]).execute();
  // The scheduler reads the jobs due soon and the earliest later tick, never every job.
  await db.schema.createIndex("cron_jobs_due_idx").on("cron_jobs").columns(["enabled", "next_run_at"]).execute();

  await db.schema
    .createTable("job_runs")
    .addColumn("job_run_id", "varchar(64)", (column) => column.primaryKey())
    .addColumn("job_id", "varchar(128)", (column) => column.notNull())
    .addColumn("tick_at", "bigint", (column) => column.notNull())
    .addColumn("attempt", "integer", (column) => column.notNull())
    .addColumn("run_id", "varchar(64)")
    // running | succeeded | failed | skipped | cancelled | interrupted
    .addColumn("status", "varchar(16)", (column) => column.notNull())
    .addColumn("reason", "varchar(64)")
    .addColumn("message", sql`text`)
    .addColumn("started_at", "bigint", (column) => column.notNull())
    .addColumn("finished_at", "bigint")
    .addColumn("heartbeat_at", "bigint")
    .addColumn("input_tokens", "bigint", (column) => column.notNull().defaultTo(0))
    .addColumn("output_tokens", "bigint", (column) => column.notNull().defaultTo(0))
    .addColumn("cost_usd", "double precision", (column) => column.notNull().defaultTo(0))
    .addColumn("cost_estimated", "integer", (column) => column.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex("job_runs_job_idx").on("job_runs").columns(["job_id", "started_at"]).execute();
  await db.schema.createIndex("job_runs_status_idx").on("job_runs").column("status").execute();

  await db.schema
    .createTable("tasks")
    .addColumn("task_id", "varchar(64)", (column) => column.primaryKey())
    .addColumn("owner", "varchar(128)", (column) => column.notNull())
    .addColumn("agent_id", "varchar(256)")
    // JSON: the run the task starts (automation/job-definition.ts's run spec).
    .addColumn("run_spec", sql`text`, (column) => column.notNull())
    .addColumn("not_before", "bigint", (column) => column.notNull())
    .addColumn("expires_at", "bigint")
    .addColumn("max_attempts", "integer", (column) => column.notNull())
    .addColumn("parent_run_id", "varchar(64)")
    // queued | running | succeeded | failed | cancelled | expired
    .addColumn("state", "varchar(16)", (column) => column.notNull())
    .addColumn("attempts", "integer", (column) => column.notNull().defaultTo(0))
    // Times the watchdog requeued it after a stall.
    .addColumn("requeues", "integer", (column) => column.notNull().defaultTo(0))
    .addColumn("created_at", "bigint", (column) => column.notNull())
    .addColumn("started_at", "bigint")
    .addColumn("finished_at", "bigint")
    .addColumn("heartbeat_at", "bigint")
    .addColumn("run_id", "varchar(64)")
    .addColumn("result_text", sql`text`)
    .addColumn("input_tokens", "bigint", (column) => column.notNull().defaultTo(0))
    .addColumn("output_tokens", "bigint", (column) => column.notNull().defaultTo(0))
    .addColumn("cost_usd", "double precision", (column) => column.notNull().defaultTo(0))
    .addColumn("cost_estimated", "integer", (column) => column.notNull().defaultTo(0))
    .addColumn("error_kind", "varchar(64)")
    .addColumn("error_message", sql`text`)
    .execute();
  await db.schema.createIndex("tasks_due_idx").on("tasks").columns(["state", "not_before"]).execute();
  await db.schema.createIndex("tasks_owner_idx").on("tasks").columns(["owner", "created_at"]).execute();
  // A caller's open tasks are counted on every submission (the per-caller limit).
  await db.schema.createIndex("tasks_owner_state_idx").on("tasks").columns(["owner", "state"]).execute();
  await db.schema.createIndex("tasks_parent_idx").on("tasks").column("parent_run_id").execute();

  await db.schema
    .createTable("incidents")
    .addColumn("incident_id", "varchar(64)", (column) => column.primaryKey())
    .addColumn("kind", "varchar(64)", (column) => column.notNull())
    // info | warning | critical
    .addColumn("severity", "varchar(16)", (column) => column.notNull())
    // run | job_run | task
    .addColumn("object_kind", "varchar(16)", (column) => column.notNull())
    .addColumn("object_id", "varchar(128)", (column) => column.notNull())
    .addColumn("summary", sql`text`, (column) => column.notNull())
    .addColumn("first_seen_at", "bigint", (column) => column.notNull())
    .addColumn("last_seen_at", "bigint", (column) => column.notNull())
    .addColumn("count", "integer", (column) => column.notNull().defaultTo(1))
    // open | remediating | resolved
    .addColumn("state", "varchar(16)", (column) => column.notNull())
    .addColumn("remediation", sql`text`)
    .addColumn("resolved_at", "bigint")
    // One incident per problem and object, however often the watchdog sees it.
    .addUniqueConstraint("incidents_object_unique", ["kind", "object_kind", "object_id"])
    .execute();
  await db.schema.createIndex("incidents_state_idx").on("incidents").columns(["state", "last_seen_at"]).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ["incidents", "tasks", "job_runs", "cron_jobs"]) {
    await db.schema.dropTable(table).execute();
  }
  await db.schema.alterTable("runs").dropColumn("heartbeat_at").execute();
}
