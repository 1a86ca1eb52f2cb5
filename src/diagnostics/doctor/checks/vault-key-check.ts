import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { checkVaultSecrets } from "../../../automation/audit/vault-check.js";
import { adminTokenFileName } from "../../../identity/admin-token.js";
import {
  type Keyring,
  type MasterKeys,
  masterKeyFrom,
  parseVaultKey,
  previousVaultKeyVariable,
  readKeyFile,
  vaultKeyFileName,
  vaultKeyVariable,
} from "../../../identity/vault/master-key.js";
import { Vault } from "../../../identity/vault/vault.js";
import type { Database } from "../../../store/tables.js";
import { listVaultSecrets } from "../../../store/vault-repository.js";
import type { CheckReport, DoctorSetting, Finding } from "../doctor-types.js";
import { reportOf } from "../doctor-types.js";

/**
 * The admin token and the vault key: present (or set in the environment), and the key opens every
 * stored secret, read through the vault's own decrypt path (the integrity audit's vault check).
 * `db` is the read-only database, or undefined when there is none yet.
 */
export async function checkKeys(setting: DoctorSetting, db: Kysely<Database> | undefined): Promise<CheckReport> {
  const findings: Finding[] = [];
  const tokenFile = join(setting.stateDir, adminTokenFileName);
  if (!setting.env.PALYRA_ADMIN_TOKEN?.trim() && !existsSync(tokenFile)) {
    findings.push({
      check: "keys",
      severity: "info",
      object: tokenFile,
      problem: "there is no admin token yet: the daemon generates one (0600) at its first start",
      fix: "palyra daemon (or set PALYRA_ADMIN_TOKEN)",
    });
  }
  const secrets = db === undefined ? [] : await listVaultSecrets(db).catch(() => []);
  const keyFile = join(setting.stateDir, vaultKeyFileName);
  let keyring: Keyring | undefined;
  try {
    keyring = keyringFromSetting(setting, keyFile);
  } catch (error) {
    findings.push({
      check: "keys",
      severity: "blocking",
      object: setting.env[vaultKeyVariable] !== undefined ? vaultKeyVariable : keyFile,
      problem: `${(error as Error).message}: the daemon will not start`,
      fix: `restore ${vaultKeyFileName} from your backup, or set ${vaultKeyVariable} to the key the secrets were sealed with`,
    });
  }
  if (keyring === undefined && findings.every((finding) => finding.severity !== "blocking")) {
    findings.push({
      check: "keys",
      severity: secrets.length > 0 ? "blocking" : "info",
      object: keyFile,
      problem:
        secrets.length > 0
          ? `there is no vault key, but the vault holds ${secrets.length} secret(s) sealed with one: a new key would not open them`
          : "there is no vault key yet: the daemon generates one (0600) at its first start",
      fix: secrets.length > 0 ? `restore ${keyFile} from your backup, or set ${vaultKeyVariable}` : "palyra daemon",
    });
  }
  if (keyring !== undefined && db !== undefined && secrets.length > 0) {
    const vault = new Vault(db, readOnlyKeys(keyring));
    for (const finding of (await checkVaultSecrets({ vault })).findings) {
      findings.push({
        check: "keys",
        severity: "blocking",
        object: `secret/${finding.objectId}`,
        problem: finding.message,
        fix: `restore the vault key that sealed it, or store the secret again: palyra vault put ${finding.objectId}`,
      });
    }
  }
  const source = setting.env[vaultKeyVariable] !== undefined ? vaultKeyVariable : vaultKeyFileName;
  return reportOf("keys", `admin token and vault key (${source}); ${secrets.length} secret(s) tried`, findings);
}

/** The keyring the daemon would load, without creating a key file when there is none. */
function keyringFromSetting(setting: DoctorSetting, keyFile: string): Keyring | undefined {
  const fromEnv = setting.env[vaultKeyVariable];
  if (fromEnv === undefined) return readKeyFile(keyFile);
  const active = masterKeyFrom(parseVaultKey(fromEnv, vaultKeyVariable));
  const keys = new Map([[active.id, active]]);
  const previous = setting.env[previousVaultKeyVariable];
  if (previous !== undefined) {
    const key = masterKeyFrom(parseVaultKey(previous, previousVaultKeyVariable));
    keys.set(key.id, key);
  }
  return { active, keys };
}

/** A keyring the vault can read with; the doctor never rotates. */
function readOnlyKeys(keyring: Keyring): MasterKeys {
  const refuse = (): Keyring => {
    throw new Error("the doctor does not rotate the vault key");
  };
  return { source: "file", current: () => keyring, beginRotation: refuse, finishRotation: refuse };
}
