import { recordAuditIncidents } from "./audit-incidents.js";
import type { AuditCheck, AuditDeps, AuditFinding, AuditReport, CheckResult } from "./audit-types.js";
import { checkBudgetCounters } from "./budget-counter-check.js";
import { checkOpenRuns } from "./open-run-check.js";
import { checkSecretReferences } from "./secret-reference-check.js";
import { checkVaultSecrets } from "./vault-check.js";

export type { AuditDeps, AuditFinding, AuditReport } from "./audit-types.js";

/**
 * The daemon's integrity audit (the system job, DiagnosticsService.RunAudit, `palyra doctor`): vault
 * secrets decrypt, referenced secrets exist, budget counters match the ledger, open runs are in
 * flight. Findings become incidents. `repair` (self-healing mode auto) sets drifted counters to the
 * ledger's sum and closes orphaned runs. A check that throws is logged and reported in failedChecks;
 * the others still run, so the audit itself never throws for one bad object.
 */
export async function runIntegrityAudit(deps: AuditDeps, options: { repair: boolean }): Promise<AuditReport> {
  const ranAt = deps.now();
  const checks: [AuditCheck, () => Promise<CheckResult>][] = [
    ["vault_secret", () => checkVaultSecrets(deps)],
    ["secret_reference", () => checkSecretReferences(deps)],
    ["budget_counter", () => checkBudgetCounters(deps, options.repair)],
    ["open_run", () => checkOpenRuns(deps, ranAt, options.repair)],
  ];
  const findings: AuditFinding[] = [];
  const completed: AuditCheck[] = [];
  const failedChecks: AuditCheck[] = [];
  let checked = 0;
  for (const [check, run] of checks) {
    try {
      const result = await run();
      findings.push(...result.findings);
      checked += result.checked;
      completed.push(check);
    } catch (error) {
      deps.logger.error({ err: error, check }, "an integrity audit check could not finish");
      failedChecks.push(check);
    }
  }
  await recordAuditIncidents(deps.db, findings, completed, { at: ranAt, newId: deps.newId });
  for (const finding of findings) {
    deps.logger.warn(
      { check: finding.check, object: `${finding.objectKind}/${finding.objectId}`, repaired: finding.remediation !== undefined },
      finding.message,
    );
  }
  return { findings, checked, ranAt, failedChecks };
}

/** One line for a job run's message: "audit: 42 checked, 2 findings (1 repaired)". */
export function summarizeAudit(report: AuditReport): string {
  const repaired = report.findings.filter((finding) => finding.remediation !== undefined).length;
  const findings = report.findings.length === 1 ? "1 finding" : `${report.findings.length} findings`;
  const failed = report.failedChecks.length === 0 ? "" : `; checks that failed: ${report.failedChecks.join(", ")}`;
  return `audit: ${report.checked} checked, ${findings}${repaired > 0 ? ` (${repaired} repaired)` : ""}${failed}`;
}
