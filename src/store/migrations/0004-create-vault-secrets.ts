import { type Kysely, sql } from "kysely";

// Released migrations never change; add a new file instead.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("vault_secrets")
    .addColumn("name", "varchar(128)", (column) => column.primaryKey())
    // base64 of nonce | AES-256-GCM ciphertext | tag: text, so SQLite and PostgreSQL store it alike.
    .addColumn("ciphertext", sql`text`, (column) => column.notNull())
    // Which master key sealed it (a digest prefix, not the key).
    .addColumn("key_id", "varchar(32)", (column) => column.notNull())
    .addColumn("created_at", "bigint", (column) => column.notNull())
    .addColumn("updated_at", "bigint", (column) => column.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("vault_secrets").execute();
}
