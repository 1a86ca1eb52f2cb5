import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { recordAuditIncidents } from "../../../automation/audit/audit-incidents.js";
import type { AuditFinding } from "../../../automation/audit/audit-types.js";
import { checkBudgetCounters } from "../../../automation/audit/budget-counter-check.js";
import { checkOpenRuns } from "../../../automation/audit/open-run-check.js";
import { checkSecretReferences } from "../../../automation/audit/secret-reference-check.js";
import type { GatewayConfig } from "../../../config/schema.js";
import { BudgetGovernance } from "../../../governance/budgets/budget-governance.js";
import { BudgetPolicies } from "../../../governance/budgets/budget-policies.js";
import { createPriceCatalog } from "../../../governance/pricing/create-price-catalog.js";
import { policyFromConfig } from "../../../shared/budget-policy.js";
import type { Logger } from "../../../shared/logger.js";
import { listReservedCounters, releaseAllReservations } from "../../../store/budget-counters-repository.js";
import type { Database } from "../../../store/tables.js";
import { listVaultSecrets } from "../../../store/vault-repository.js";
import type { CheckReport, Finding, RepairAction } from "../doctor-types.js";
import { reportOf } from "../doctor-types.js";

/** Nothing is in flight while the daemon is down: every open run is orphaned. */
const nothingInFlight = { inFlight: () => [] };

interface StoreInputs {
  config: GatewayConfig;
  now: () => number;
  logger: Logger;
}

/**
 * With the daemon down, the store's bookkeeping as the integrity audit sees it: no reservation held,
 * no run open, every budget counter equal to the ledger, every referenced secret present. The checks
 * and their repairs are the audit's own (automation/audit/), run here without a daemon.
 */
export async function checkStoreIntegrity(db: Kysely<Database>, inputs: StoreInputs): Promise<CheckReport[]> {
  const { config, now } = inputs;
  const reserved = await listReservedCounters(db);
  const reservations = reserved.map(
    (row): Finding => ({
      check: "reservations",
      severity: "warning",
      object: `${row.policy_id}@${new Date(Number(row.interval_start)).toISOString()}`,
      problem: `budget "${row.policy_id}" still has ${Number(row.reserved)} reserved by runs no daemon is running`,
      fix: "palyra doctor --repair (or start the daemon: it releases them)",
      repair: releaseReservations(reserved.length),
    }),
  );
  const audit = auditDeps(db, inputs);
  const openRuns = (await checkOpenRuns(audit, now(), false)).findings.map(
    (finding): Finding => ({
      check: "open_runs",
      severity: "warning",
      object: `run/${finding.objectId}`,
      problem: finding.message.replace("but is not in flight", "but no daemon is running it"),
      fix: "palyra doctor --repair (or start the daemon: it closes them)",
      repair: closeOpenRuns(inputs),
    }),
  );
  const policies = await BudgetPolicies.load(db, config.usage.budgets.map(policyFromConfig), now);
  const counters = await checkBudgetCounters({ ...audit, policies: () => policies.list() }, false);
  const drifted = counters.findings.map(
    (finding): Finding => ({
      check: "budget_counters",
      severity: "warning",
      object: finding.objectId,
      problem: finding.message,
      fix: "palyra doctor --repair",
      repair: rebuildCounters(inputs),
    }),
  );
  const references = await checkSecretReferences(audit);
  const missing = references.findings.map((finding) => missingSecretFinding(finding, inputs, references.findings));
  return [
    reportOf("reservations", `${reserved.length} counter(s) with a reservation`, reservations),
    reportOf("open_runs", `${openRuns.length} run(s) recorded as running`, openRuns),
    reportOf("budget_counters", `${counters.checked} counter(s) compared with the ledger`, drifted),
    reportOf("secret_references", `${references.checked} secret reference(s)`, missing),
  ];
}

function auditDeps(db: Kysely<Database>, inputs: StoreInputs) {
  return {
    db,
    vault: { list: () => listVaultSecrets(db), get: async () => undefined },
    providers: () => inputs.config.model_provider.providers,
    policies: () => [],
    timeZone: inputs.config.usage.timezone,
    engine: nothingInFlight,
    logger: inputs.logger,
    now: inputs.now,
    newId: randomUUID,
  };
}

function missingSecretFinding(finding: AuditFinding, inputs: StoreInputs, all: AuditFinding[]): Finding {
  const [referrer = ""] = finding.objectId.split(" -> ");
  const profileId = referrer.startsWith("auth_profile/") ? referrer.slice("auth_profile/".length) : undefined;
  const secret = finding.objectId.split(" -> ")[1]?.replace(/^vault:/, "") ?? "";
  if (profileId === undefined) {
    return {
      check: "secret_references",
      severity: "warning",
      object: finding.objectId,
      problem: finding.message,
      fix: `printf %s "$KEY" | palyra vault put ${secret}`,
    };
  }
  return {
    check: "secret_references",
    severity: "warning",
    object: `auth_profile/${profileId}`,
    problem: `${finding.message}: the profile cannot authenticate`,
    fix: `reconnect it: palyra auth connect-api-key --provider KIND --profile-id ${profileId} (API key, from stdin) or palyra auth oauth start (OAuth)`,
    repair: markProfiles(all, inputs),
  };
}

function releaseReservations(count: number): RepairAction {
  return {
    kind: "release_reservations",
    description: `release the reservations of ${count} budget counter(s) (no run is in flight)`,
    touchesStore: true,
    apply: async ({ store }) => `released the reservations of ${await releaseAllReservations(await store())} counter(s)`,
  };
}

function closeOpenRuns(inputs: StoreInputs): RepairAction {
  return {
    kind: "close_open_runs",
    description: "close the runs left open as failed (interrupted), charging their last heartbeat, as a starting daemon would",
    touchesStore: true,
    apply: async ({ store }) => {
      const db = await store();
      const { config, now, logger } = inputs;
      const policies = await BudgetPolicies.load(db, config.usage.budgets.map(policyFromConfig), now);
      const priceBook = await createPriceCatalog({ db, usage: config.usage });
      const governance = new BudgetGovernance({ store: { db }, policies, priceBook, timeZone: config.usage.timezone, logger, now });
      const result = await checkOpenRuns({ db, engine: nothingInFlight, governance, logger, now }, now() + 1, true);
      return `closed ${result.findings.length} run(s)`;
    },
  };
}

function rebuildCounters(inputs: StoreInputs): RepairAction {
  return {
    kind: "rebuild_budget_counters",
    description: "set every drifted budget counter of the current intervals to what the ledger says was used",
    touchesStore: true,
    apply: async ({ store }) => {
      const db = await store();
      const policies = await BudgetPolicies.load(db, inputs.config.usage.budgets.map(policyFromConfig), inputs.now);
      const deps = { db, policies: () => policies.list(), timeZone: inputs.config.usage.timezone, now: inputs.now };
      const result = await checkBudgetCounters(deps, true);
      return result.findings.map((finding) => `${finding.objectId}: ${finding.remediation ?? "changed meanwhile, left"}`).join("; ") || "nothing drifted";
    },
  };
}

/** Marks the profiles as the audit does: an open `audit_secret_reference` incident each, which ListIncidents and the console show. */
function markProfiles(findings: AuditFinding[], inputs: StoreInputs): RepairAction {
  const profiles = findings.filter((finding) => finding.objectId.startsWith("auth_profile/"));
  return {
    kind: "mark_auth_profiles",
    description: `record an incident for each of ${profiles.length} auth profile reference(s) to a missing vault secret, saying how to reconnect`,
    touchesStore: true,
    apply: async ({ store }) => {
      const db = await store();
      const marked = profiles.map((finding) => ({
        ...finding,
        message: `${finding.message}; reconnect the profile (palyra auth connect-api-key or palyra auth oauth start)`,
      }));
      await recordAuditIncidents(db, marked, [], { at: inputs.now(), newId: randomUUID });
      return `recorded ${marked.length} incident(s)`;
    },
  };
}
