import type { Kysely } from "kysely";

// Released migrations never change; add a new file instead.
// Prices set at runtime (UsageService.SetPricing); they win over [[usage.pricing]] and the catalog.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("model_prices")
    .addColumn("model_id", "varchar(256)", (column) => column.notNull())
    // Milliseconds since the epoch; 0 means since always (a key column, so never null).
    .addColumn("effective_from", "bigint", (column) => column.notNull())
    // USD per million tokens, and per request.
    .addColumn("input_per_mtok", "double precision", (column) => column.notNull())
    .addColumn("output_per_mtok", "double precision", (column) => column.notNull())
    .addColumn("cached_input_per_mtok", "double precision", (column) => column.notNull())
    .addColumn("cache_write_per_mtok", "double precision", (column) => column.notNull())
    .addColumn("per_request", "double precision", (column) => column.notNull())
    .addColumn("updated_at", "bigint", (column) => column.notNull())
    .addPrimaryKeyConstraint("model_prices_pk", ["model_id", "effective_from"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("model_prices").execute();
}
