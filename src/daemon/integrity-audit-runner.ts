import { randomUUID } from "node:crypto";
import { type AuditDeps, type AuditReport, runIntegrityAudit } from "../automation/audit/integrity-audit.js";

/**
 * The integrity audit as RunAudit, `palyra doctor` (with the daemon up) and the audit system job call it:
 * repairing only in self-healing auto mode, reading the providers of the config in force.
 */
export function integrityAuditRunner(deps: Omit<AuditDeps, "now" | "newId">, repair: boolean): () => Promise<AuditReport> {
  const auditDeps: AuditDeps = { ...deps, now: Date.now, newId: randomUUID };
  return () => runIntegrityAudit(auditDeps, { repair });
}
