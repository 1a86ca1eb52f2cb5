import { type Kysely, sql } from "kysely";

// Released migrations never change; add a new file instead.
// Secret values never live here: keys and tokens are vault references ("vault:NAME"), and an OAuth
// attempt's state is kept only as its SHA-256 (its PKCE verifier is in the vault).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("auth_profiles")
    .addColumn("profile_id", "varchar(128)", (column) => column.primaryKey())
    .addColumn("provider_kind", "varchar(32)", (column) => column.notNull())
    .addColumn("name", "varchar(256)", (column) => column.notNull())
    .addColumn("agent_id", "varchar(256)")
    .addColumn("credential_kind", "varchar(16)", (column) => column.notNull())
    .addColumn("base_url", sql`text`)
    .addColumn("api_key_ref", "varchar(512)")
    .addColumn("access_token_ref", "varchar(512)")
    .addColumn("refresh_token_ref", "varchar(512)")
    .addColumn("oauth_provider", "varchar(128)")
    .addColumn("token_endpoint", sql`text`)
    .addColumn("client_id", "varchar(512)")
    .addColumn("scopes", sql`text`)
    .addColumn("expires_at", "bigint")
    .addColumn("last_refreshed_at", "bigint")
    .addColumn("refresh_failures", "integer", (column) => column.notNull().defaultTo(0))
    .addColumn("last_refresh_error", sql`text`)
    .addColumn("generation", "integer", (column) => column.notNull().defaultTo(0))
    .addColumn("created_at", "bigint", (column) => column.notNull())
    .addColumn("updated_at", "bigint", (column) => column.notNull())
    .execute();
  await db.schema.createIndex("auth_profiles_agent_idx").on("auth_profiles").columns(["agent_id", "provider_kind"]).execute();
  await db.schema.createIndex("auth_profiles_expires_idx").on("auth_profiles").column("expires_at").execute();

  await db.schema
    .createTable("oauth_attempts")
    .addColumn("state_hash", "varchar(64)", (column) => column.primaryKey())
    .addColumn("oauth_provider", "varchar(128)", (column) => column.notNull())
    .addColumn("profile_id", "varchar(128)", (column) => column.notNull())
    .addColumn("provider_kind", "varchar(32)", (column) => column.notNull())
    .addColumn("agent_id", "varchar(256)")
    .addColumn("redirect_uri", sql`text`, (column) => column.notNull())
    .addColumn("verifier_ref", "varchar(512)", (column) => column.notNull())
    .addColumn("created_at", "bigint", (column) => column.notNull())
    .addColumn("expires_at", "bigint", (column) => column.notNull())
    .execute();
  await db.schema.createIndex("oauth_attempts_expires_idx").on("oauth_attempts").column("expires_at").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("oauth_attempts").execute();
  await db.schema.dropTable("auth_profiles").execute();
}
