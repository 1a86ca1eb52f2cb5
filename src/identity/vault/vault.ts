import type { Kysely } from "kysely";
import { GatewayError, invalidRequest } from "../../shared/errors.js";
import type { Database, VaultSecretRow } from "../../store/tables.js";
import { deleteVaultSecret, findVaultSecret, listVaultSecrets, reencryptVaultSecret, upsertVaultSecret } from "../../store/vault-repository.js";
import type { Keyring, MasterKey, MasterKeys } from "./master-key.js";
import { openSecret, sealOverheadBytes, sealSecret } from "./secret-cipher.js";
import { checkSecretName } from "./secret-name.js";
import type { SecretStore } from "./secret-store.js";

/** What may be said about a secret: everything but its value. */
export interface SecretInfo {
  name: string;
  createdAt: Date;
  updatedAt: Date;
  /** The master key it is sealed with. */
  keyId: string;
  /** Length of the value in UTF-8 bytes. */
  sizeBytes: number;
}

export interface RotationResult {
  reEncrypted: number;
  /** The key every secret is sealed with now. */
  keyId: string;
}

/** Values larger than this are not credentials. */
export const maxSecretBytes = 65_536;

/**
 * Named secrets sealed with AES-256-GCM under the daemon's master key, one row each. Writes and
 * rotation take turns, so no secret is sealed with a key that a finishing rotation is about to drop.
 */
export class Vault implements SecretStore {
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly keys: MasterKeys,
    private readonly now: () => number = Date.now,
  ) {}

  async put(name: string, value: string): Promise<void> {
    await this.upsert(name, value);
  }

  /** Stores (or replaces) a secret and describes it. */
  async upsert(name: string, value: string): Promise<SecretInfo> {
    checkSecretName(name);
    if (value === "") throw invalidRequest("value", "must not be empty");
    if (Buffer.byteLength(value, "utf8") > maxSecretBytes) throw invalidRequest("value", `must be at most ${maxSecretBytes} bytes`);
    return this.exclusive(async () => {
      const key = this.keys.current().active;
      const now = this.now();
      const row = await upsertVaultSecret(this.db, {
        name,
        ciphertext: sealSecret(key, name, value).toString("base64"),
        key_id: key.id,
        created_at: now,
        updated_at: now,
      });
      return secretInfo(row);
    });
  }

  async get(name: string): Promise<string | undefined> {
    checkSecretName(name);
    let row = await findVaultSecret(this.db, name);
    // A rotation may have committed (and dropped this row's key) since the row was read.
    if (row !== undefined && !this.keys.current().keys.has(row.key_id)) row = await findVaultSecret(this.db, name);
    return row === undefined ? undefined : openRow(this.keys.current(), row);
  }

  async delete(name: string): Promise<boolean> {
    checkSecretName(name);
    return this.exclusive(() => deleteVaultSecret(this.db, name));
  }

  async list(): Promise<SecretInfo[]> {
    return (await listVaultSecrets(this.db)).map(secretInfo);
  }

  /**
   * Re-encrypts every secret under a new master key: (1) the key file gains the new key, made
   * active, (2) every secret is re-encrypted in one transaction, (3) the old keys are dropped. A
   * crash between any two steps leaves every secret readable with the keys on disk.
   */
  rotateKey(): Promise<RotationResult> {
    return this.exclusive(async () => {
      const keyring = this.keys.beginRotation();
      const reEncrypted = await this.db.transaction().execute(async (trx) => {
        const rows = await listVaultSecrets(trx);
        for (const row of rows) {
          const sealed = sealSecret(keyring.active, row.name, openRow(keyring, row));
          await reencryptVaultSecret(trx, row.name, sealed.toString("base64"), keyring.active.id);
        }
        return rows.length;
      });
      this.keys.finishRotation();
      return { reEncrypted, keyId: keyring.active.id };
    });
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.writes.then(task);
    this.writes = run.catch(() => undefined);
    return run;
  }
}

function openRow(keyring: Keyring, row: VaultSecretRow): string {
  return openSecret(keyFor(keyring, row), row.name, Buffer.from(row.ciphertext, "base64"));
}

function keyFor(keyring: Keyring, row: VaultSecretRow): MasterKey {
  const key = keyring.keys.get(row.key_id);
  if (key !== undefined) return key;
  throw new GatewayError(
    "internal",
    `vault secret "${row.name}" is sealed with master key ${row.key_id}, which the daemon does not have ` +
      `(was vault.key or PALYRA_VAULT_KEY replaced? PALYRA_VAULT_KEY_PREVIOUS can supply the old key)`,
    { code: "vault_key_missing" },
  );
}

function secretInfo(row: VaultSecretRow): SecretInfo {
  return {
    name: row.name,
    createdAt: new Date(Number(row.created_at)),
    updatedAt: new Date(Number(row.updated_at)),
    keyId: row.key_id,
    sizeBytes: Math.max(0, Buffer.byteLength(row.ciphertext, "base64") - sealOverheadBytes),
  };
}
