import type { Kysely } from "kysely";
import type { Database, NewVaultSecretRow, VaultSecretRow } from "./tables.js";

/** Inserts or replaces a secret; a replaced secret keeps its created_at. Returns the row as stored. */
export async function upsertVaultSecret(db: Kysely<Database>, row: NewVaultSecretRow): Promise<VaultSecretRow> {
  return db
    .insertInto("vault_secrets")
    .values(row)
    .onConflict((conflict) => conflict.column("name").doUpdateSet({ ciphertext: row.ciphertext, key_id: row.key_id, updated_at: row.updated_at }))
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findVaultSecret(db: Kysely<Database>, name: string): Promise<VaultSecretRow | undefined> {
  return db.selectFrom("vault_secrets").selectAll().where("name", "=", name).executeTakeFirst();
}

/** Every secret, by name. */
export async function listVaultSecrets(db: Kysely<Database>): Promise<VaultSecretRow[]> {
  return db.selectFrom("vault_secrets").selectAll().orderBy("name").execute();
}

/** Replaces a secret's ciphertext and key id in place (rotation), leaving its timestamps alone. */
export async function reencryptVaultSecret(db: Kysely<Database>, name: string, ciphertext: string, keyId: string): Promise<void> {
  await db.updateTable("vault_secrets").set({ ciphertext, key_id: keyId }).where("name", "=", name).execute();
}

/** True when a secret was deleted. */
export async function deleteVaultSecret(db: Kysely<Database>, name: string): Promise<boolean> {
  const result = await db.deleteFrom("vault_secrets").where("name", "=", name).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
