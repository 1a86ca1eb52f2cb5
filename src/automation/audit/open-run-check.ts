import { closeInterruptedRun } from "../../runs/recover-interrupted-runs.js";
import { findRun, listRunningRuns } from "../../store/runs-repository.js";
import type { AuditDeps, AuditFinding, CheckResult } from "./audit-types.js";

/** What repair says it did about an orphaned run. */
export const closedRunRemediation = "closed the run as failed (interrupted), charged its last heartbeat";

/**
 * Runs recorded as running must be in flight in the engine. One that started before the audit began
 * and that the engine does not hold has nothing left to end it (its handle is gone: a bug or a failed
 * end write), so it would hold its reservation's place in the ledger forever. With `repair` it is
 * closed the way start-up closes a killed daemon's runs: failed, "interrupted", charged its last
 * heartbeat's checkpoint. The in-flight set is read after the rows and every candidate is read again,
 * so a run that ends while the audit looks is not reported.
 *
 * One daemon per store: the runs table names no instance, so on a PostgreSQL shared by several
 * daemons another daemon's runs would look orphaned here (see docs/automation.md).
 */
export async function checkOpenRuns(
  deps: Pick<AuditDeps, "db" | "engine" | "governance" | "logger" | "now">,
  auditStartedAt: number,
  repair: boolean,
): Promise<CheckResult> {
  const running = (await listRunningRuns(deps.db)).filter((row) => Number(row.created_at) < auditStartedAt);
  const inFlight = new Set(deps.engine.inFlight().map((run) => run.runId));
  const findings: AuditFinding[] = [];
  for (const candidate of running) {
    if (inFlight.has(candidate.run_id)) continue;
    const row = await findRun(deps.db, candidate.run_id);
    if (row === undefined || row.status !== "running") continue;
    let remediation: string | undefined;
    if (repair) {
      await closeInterruptedRun({ db: deps.db, governance: deps.governance, now: deps.now(), logger: deps.logger }, row);
      remediation = closedRunRemediation;
    }
    findings.push({
      check: "open_run",
      severity: "warning",
      objectKind: "run_record",
      objectId: row.run_id,
      message: `run ${row.run_id} (model ${row.model_id} on provider ${row.provider_id}) is recorded as running since ${new Date(Number(row.created_at)).toISOString()} but is not in flight`,
      remediation,
    });
  }
  return { findings, checked: running.length };
}
