import type { Kysely } from "kysely";
import type { ProviderConfig } from "../../config/schema.js";
import type { RunGovernance } from "../../governance/run-governance.js";
import type { InFlightRun } from "../../runs/run-engine.js";
import type { BudgetPolicy } from "../../shared/budget-policy.js";
import type { Logger } from "../../shared/logger.js";
import type { IncidentObjectKind, IncidentSeverity } from "../../store/automation-tables.js";
import type { Database } from "../../store/tables.js";

/** The audit's four checks; each names its findings and their incidents (`audit_<check>`). */
export const auditChecks = ["vault_secret", "secret_reference", "budget_counter", "open_run"] as const;
export type AuditCheck = (typeof auditChecks)[number];

/** One problem the audit found with one object. Never carries a secret's value. */
export interface AuditFinding {
  check: AuditCheck;
  severity: IncidentSeverity;
  objectKind: IncidentObjectKind;
  objectId: string;
  message: string;
  /** What the audit did about it (repair mode); undefined when it only reported it. */
  remediation: string | undefined;
}

export interface AuditReport {
  findings: AuditFinding[];
  /** Objects looked at: secrets, references, counters and open runs. */
  checked: number;
  ranAt: number;
  /** Checks that could not finish (their error is logged); their earlier incidents stay as they were. */
  failedChecks: AuditCheck[];
}

/** What a check returns: its findings and how many objects it looked at. */
export interface CheckResult {
  findings: AuditFinding[];
  checked: number;
}

/** The vault as the audit reads it: names, and each secret through the vault's own decrypt path. */
export interface AuditedVault {
  list(): Promise<{ name: string }[]>;
  get(name: string): Promise<string | undefined>;
}

export interface AuditDeps {
  db: Kysely<Database>;
  vault: AuditedVault;
  /** The providers of the config in force (their api_key_vault_ref and auth_profile_id). */
  providers: () => readonly ProviderConfig[];
  /** The budget policies in force. */
  policies: () => readonly BudgetPolicy[];
  /** IANA zone budget intervals align to (usage.timezone). */
  timeZone: string;
  engine: { inFlight(): InFlightRun[] };
  /** Charges and records an orphaned run's end when repair closes it. */
  governance?: RunGovernance | undefined;
  logger: Logger;
  now: () => number;
  newId: () => string;
  /** Rows per statement and between yields (default 500). */
  batchSize?: number;
}

/** Drift below this (tokens or USD) is rounding, not a finding: sums of USD amounts leave dust. */
export const counterTolerance = 1e-6;

/** "budget_counter" -> "audit_budget_counter": the incident kind of a check's findings. */
export function incidentKindOf(check: AuditCheck): string {
  return `audit_${check}`;
}

/** Lets the event loop serve requests between batches, so a long audit never holds it. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
