import { type Kysely, sql } from "kysely";

// Released migrations never change; add a new file instead.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("runs")
    .addColumn("run_id", "varchar(64)", (column) => column.primaryKey())
    .addColumn("created_at", "bigint", (column) => column.notNull())
    .addColumn("finished_at", "bigint")
    .addColumn("status", "varchar(16)", (column) => column.notNull())
    .addColumn("caller_id", "varchar(128)", (column) => column.notNull())
    .addColumn("agent_id", "varchar(256)")
    .addColumn("session_id", "varchar(256)")
    .addColumn("user_id", "varchar(256)")
    .addColumn("client_request_id", "varchar(256)")
    .addColumn("requested_model", "varchar(256)")
    .addColumn("model_id", "varchar(256)", (column) => column.notNull())
    .addColumn("provider_id", "varchar(256)", (column) => column.notNull())
    .addColumn("upstream_model", "varchar(256)", (column) => column.notNull())
    .addColumn("finish_reason", "varchar(32)")
    .addColumn("input_tokens", "integer", (column) => column.notNull().defaultTo(0))
    .addColumn("output_tokens", "integer", (column) => column.notNull().defaultTo(0))
    .addColumn("cached_input_tokens", "integer", (column) => column.notNull().defaultTo(0))
    .addColumn("cache_write_tokens", "integer", (column) => column.notNull().defaultTo(0))
    .addColumn("usage_estimated", "integer", (column) => column.notNull().defaultTo(0))
    .addColumn("attempts", "integer", (column) => column.notNull().defaultTo(0))
    .addColumn("first_output_ms", "integer")
    .addColumn("duration_ms", "integer")
    .addColumn("error_kind", "varchar(32)")
    .addColumn("error_message", sql`text`)
    .execute();
  await db.schema.createIndex("runs_created_at_idx").on("runs").column("created_at").execute();
  await db.schema.createIndex("runs_status_idx").on("runs").column("status").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("runs").execute();
}
