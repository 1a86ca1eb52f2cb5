import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GatewayError } from "../../shared/errors.js";
import { createFileOnce, replaceFile } from "./durable-file.js";

/** A 32-byte AES-256 key and its id (a digest prefix: names the key, reveals nothing of it). */
export interface MasterKey {
  readonly id: string;
  readonly bytes: Buffer;
}

/** The key new secrets are sealed with, and every key existing secrets may be sealed with. */
export interface Keyring {
  readonly active: MasterKey;
  readonly keys: ReadonlyMap<string, MasterKey>;
}

export const vaultKeyVariable = "PALYRA_VAULT_KEY";
export const previousVaultKeyVariable = "PALYRA_VAULT_KEY_PREVIOUS";
export const vaultKeyFileName = "vault.key";
const masterKeyBytes = 32;
const keyFileMode = 0o600;

/** The master key cannot be loaded: a bad variable or a damaged key file. Fatal at start-up. */
export class VaultKeyError extends Error {
  override readonly name = "VaultKeyError";
}

/** First 16 hex characters of the SHA-256 of the key bytes. */
export function keyIdOf(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex").slice(0, 16);
}

export function masterKeyFrom(bytes: Buffer): MasterKey {
  return { id: keyIdOf(bytes), bytes };
}

export function generateMasterKey(): MasterKey {
  return masterKeyFrom(randomBytes(masterKeyBytes));
}

/**
 * A key given as text: 64 hex characters, or base64 (standard or URL-safe) of 32 bytes. Errors
 * name `source` (the variable) and never echo the text.
 */
export function parseVaultKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, "hex");
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) {
    const bytes = Buffer.from(trimmed, "base64");
    if (bytes.length === masterKeyBytes) return bytes;
  }
  throw new VaultKeyError(
    `${source} must be a 32-byte key as 64 hex characters or base64 (e.g. the output of "openssl rand -base64 32"); ` +
      `the value given (${trimmed.length} characters) is neither`,
  );
}

/**
 * The daemon's master keys, and the key-file half of a rotation. Rotation is three steps, each of
 * which leaves every secret readable if the daemon dies right after it: (1) beginRotation adds a new
 * active key beside the old ones, (2) the vault re-encrypts every secret in one transaction,
 * (3) finishRotation drops the keys no secret uses any more.
 */
export interface MasterKeys {
  readonly source: "env" | "file";
  current(): Keyring;
  beginRotation(): Keyring;
  finishRotation(): Keyring;
}

/**
 * PALYRA_VAULT_KEY when set (with PALYRA_VAULT_KEY_PREVIOUS, if set, still readable); otherwise the
 * keyring in <state-dir>/vault.key, created with a random key on first start.
 */
export function loadMasterKeys(stateDir: string, env: NodeJS.ProcessEnv): MasterKeys {
  const fromEnv = env[vaultKeyVariable];
  const previous = env[previousVaultKeyVariable];
  if (fromEnv === undefined) {
    if (previous !== undefined) throw new VaultKeyError(`${previousVaultKeyVariable} is set but ${vaultKeyVariable} is not; set both, or neither`);
    return new FileMasterKeys(join(stateDir, vaultKeyFileName));
  }
  const active = masterKeyFrom(parseVaultKey(fromEnv, vaultKeyVariable));
  return new EnvMasterKeys(active, previous === undefined ? undefined : masterKeyFrom(parseVaultKey(previous, previousVaultKeyVariable)));
}

function keyringOf(active: MasterKey, others: Iterable<MasterKey> = []): Keyring {
  const keys = new Map<string, MasterKey>();
  for (const key of others) keys.set(key.id, key);
  keys.set(active.id, active);
  return { active, keys };
}

/**
 * Keys from the environment. The daemon cannot change them, so "rotation" means the operator sets a
 * new PALYRA_VAULT_KEY with the old one in PALYRA_VAULT_KEY_PREVIOUS, restarts, and rotates: every
 * secret is re-encrypted under the new key, after which the previous one may be unset.
 */
class EnvMasterKeys implements MasterKeys {
  readonly source = "env";
  private keyring: Keyring;

  constructor(
    active: MasterKey,
    private previous: MasterKey | undefined,
  ) {
    this.keyring = keyringOf(active, previous === undefined ? [] : [previous]);
  }

  current(): Keyring {
    return this.keyring;
  }

  beginRotation(): Keyring {
    if (this.previous === undefined) {
      throw new GatewayError(
        "invalid_request",
        `the vault master key comes from ${vaultKeyVariable}, which the daemon cannot replace; to rotate, restart the daemon ` +
          `with the new key in ${vaultKeyVariable} and the current one in ${previousVaultKeyVariable}, rotate again, ` +
          `then unset ${previousVaultKeyVariable}`,
        { code: "vault_key_from_env" },
      );
    }
    return this.keyring;
  }

  finishRotation(): Keyring {
    // Nothing is sealed with the previous key any more; forget it until the next restart.
    this.previous = undefined;
    this.keyring = keyringOf(this.keyring.active);
    return this.keyring;
  }
}

/** The keyring file: JSON { "active": "<keyId>", "keys": { "<keyId>": "<base64>" } }, mode 0600. */
class FileMasterKeys implements MasterKeys {
  readonly source = "file";
  private keyring: Keyring;

  constructor(private readonly file: string) {
    const existing = readKeyFile(file);
    if (existing !== undefined) {
      this.keyring = existing;
      return;
    }
    const created = keyringOf(generateMasterKey());
    // Another process may create the file at the same moment; then its keyring is the one.
    this.keyring = createFileOnce(file, formatKeyFile(created), keyFileMode) ? created : requireKeyFile(file);
  }

  current(): Keyring {
    return this.keyring;
  }

  beginRotation(): Keyring {
    // Keep whatever the file holds too, so a key is never dropped before its secrets are re-encrypted.
    const onDisk = readKeyFile(this.file)?.keys.values() ?? [];
    const next = keyringOf(generateMasterKey(), [...this.keyring.keys.values(), ...onDisk]);
    replaceFile(this.file, formatKeyFile(next), keyFileMode);
    this.keyring = next;
    return next;
  }

  finishRotation(): Keyring {
    const next = keyringOf(this.keyring.active);
    replaceFile(this.file, formatKeyFile(next), keyFileMode);
    this.keyring = next;
    return next;
  }
}

function formatKeyFile(keyring: Keyring): string {
  const keys = Object.fromEntries([...keyring.keys.values()].map((key) => [key.id, key.bytes.toString("base64")]));
  return `${JSON.stringify({ active: keyring.active.id, keys }, null, 2)}\n`;
}

/** The keyring in `file`, or undefined when there is no file. Errors name the file, never a key. */
export function readKeyFile(file: string): Keyring | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new VaultKeyError(`the vault key file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  const damaged = (why: string) => new VaultKeyError(`the vault key file ${file} is damaged: ${why}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw damaged('it is not JSON of the form {"active": "<keyId>", "keys": {"<keyId>": "<base64>"}}');
  }
  const { active, keys } = (typeof parsed === "object" && parsed !== null ? parsed : {}) as { active?: unknown; keys?: unknown };
  if (typeof active !== "string" || typeof keys !== "object" || keys === null) throw damaged('it needs "active" and "keys"');
  const loaded = new Map<string, MasterKey>();
  for (const [id, encoded] of Object.entries(keys)) {
    const bytes = typeof encoded === "string" ? Buffer.from(encoded, "base64") : Buffer.alloc(0);
    if (bytes.length !== masterKeyBytes || keyIdOf(bytes) !== id) throw damaged(`key ${id} does not match its id`);
    loaded.set(id, { id, bytes });
  }
  const activeKey = loaded.get(active);
  if (activeKey === undefined) throw damaged(`the active key ${active} is not among its keys`);
  return keyringOf(activeKey, loaded.values());
}

function requireKeyFile(file: string): Keyring {
  const keyring = readKeyFile(file);
  if (keyring === undefined) throw new VaultKeyError(`the vault key file ${file} vanished while it was being created`);
  return keyring;
}
