import type { Kysely } from "kysely";
import type { ApiKeyRow, Database, NewApiKeyRow } from "./tables.js";

export async function insertApiKey(db: Kysely<Database>, row: NewApiKeyRow): Promise<void> {
  await db.insertInto("api_keys").values(row).execute();
}

export async function findApiKey(db: Kysely<Database>, keyId: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom("api_keys").selectAll().where("key_id", "=", keyId).executeTakeFirst();
}

/** Keys, oldest first; revoked ones only when asked. */
export async function listApiKeys(db: Kysely<Database>, options: { includeRevoked: boolean }): Promise<ApiKeyRow[]> {
  let query = db.selectFrom("api_keys").selectAll();
  if (!options.includeRevoked) query = query.where("revoked_at", "is", null);
  return query.orderBy("created_at").orderBy("key_id").execute();
}

/** Marks a key revoked (once: an earlier revocation time is kept). Returns the row, or undefined for an unknown id. */
export async function revokeApiKey(db: Kysely<Database>, keyId: string, at: number): Promise<ApiKeyRow | undefined> {
  await db.updateTable("api_keys").set({ revoked_at: at }).where("key_id", "=", keyId).where("revoked_at", "is", null).execute();
  return findApiKey(db, keyId);
}

/** Sets an expiry (tests and repairs); null removes it. */
export async function setApiKeyExpiry(db: Kysely<Database>, keyId: string, expiresAt: number | null): Promise<void> {
  await db.updateTable("api_keys").set({ expires_at: expiresAt }).where("key_id", "=", keyId).execute();
}

export async function touchApiKey(db: Kysely<Database>, keyId: string, at: number): Promise<void> {
  await db.updateTable("api_keys").set({ last_used_at: at }).where("key_id", "=", keyId).execute();
}
