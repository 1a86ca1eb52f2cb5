import { type AuditDeps, type AuditFinding, type CheckResult, yieldToEventLoop } from "./audit-types.js";

/**
 * Every vault secret must decrypt and authenticate under the daemon's keys: each is read through the
 * vault's own path (AES-256-GCM with the name and key id bound in), and the value is dropped at once.
 * A failure names the secret and why, never its contents.
 */
export async function checkVaultSecrets(deps: Pick<AuditDeps, "vault" | "batchSize">): Promise<CheckResult> {
  const secrets = await deps.vault.list();
  const findings: AuditFinding[] = [];
  const batchSize = deps.batchSize ?? 500;
  for (const [index, { name }] of secrets.entries()) {
    if (index > 0 && index % batchSize === 0) await yieldToEventLoop();
    try {
      await deps.vault.get(name);
    } catch (error) {
      findings.push({
        check: "vault_secret",
        severity: "critical",
        objectKind: "secret",
        objectId: name,
        message: error instanceof Error ? error.message : `vault secret "${name}" cannot be read`,
        remediation: undefined,
      });
    }
  }
  return { findings, checked: secrets.length };
}
