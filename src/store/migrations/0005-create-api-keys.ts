import { type Kysely, sql } from "kysely";

// Released migrations never change; add a new file instead.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("api_keys")
    .addColumn("key_id", "varchar(32)", (column) => column.primaryKey())
    .addColumn("name", "varchar(128)", (column) => column.notNull())
    .addColumn("agent_id", "varchar(256)")
    // A JSON array of scope names.
    .addColumn("scopes", sql`text`, (column) => column.notNull())
    .addColumn("rpm_limit", "integer", (column) => column.notNull().defaultTo(0))
    .addColumn("tpm_limit", "integer", (column) => column.notNull().defaultTo(0))
    .addColumn("created_at", "bigint", (column) => column.notNull())
    .addColumn("expires_at", "bigint")
    .addColumn("revoked_at", "bigint")
    .addColumn("prefix", "varchar(64)", (column) => column.notNull())
    // Hex SHA-256 of the whole key; the key itself is never stored.
    .addColumn("hash", "varchar(64)", (column) => column.notNull())
    .addColumn("last_used_at", "bigint")
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("api_keys").execute();
}
