import type { Kysely } from "kysely";
import type { InterruptedRun, LedgerWrite, RunCost, RunGovernance } from "../governance/run-governance.js";
import type { Logger } from "../shared/logger.js";
import { listRunningRuns, updateRun } from "../store/runs-repository.js";
import type { Database, RunRow } from "../store/tables.js";

const interruptedMessage = "the daemon stopped before the run finished";

/**
 * Closes out the runs a previous daemon left running (it was killed mid-run): each becomes failed
 * with error kind "interrupted", charged the usage of its last heartbeat (estimated: the upstream
 * already produced, and billed, that much), so the ledger and the budgets do not under-count real
 * spend. Runs before the first heartbeat are charged nothing. Returns how many were closed.
 */
export async function recoverInterruptedRuns(deps: CloseInterruptedDeps): Promise<number> {
  const rows = await listRunningRuns(deps.db);
  for (const row of rows) await closeInterruptedRun(deps, row);
  return rows.length;
}

export interface CloseInterruptedDeps {
  db: Kysely<Database>;
  governance?: RunGovernance | undefined;
  now: number;
  logger: Logger;
}

/**
 * Closes one run left running with nothing in flight behind it (start-up, and the integrity audit's
 * repair): failed, error kind "interrupted", charged its last heartbeat's checkpoint.
 */
export async function closeInterruptedRun(deps: CloseInterruptedDeps, row: RunRow): Promise<void> {
  const run = interruptedRunOf(row);
  const recordEnd: LedgerWrite<[RunCost]> = (db, cost) =>
    updateRun(db, row.run_id, {
      status: "failed",
      finished_at: deps.now,
      duration_ms: Math.max(0, deps.now - row.created_at),
      usage_estimated: run.usage.inputTokens + run.usage.outputTokens > 0 ? 1 : 0,
      cost_usd: cost.costUsd,
      cost_estimated: cost.costEstimated ? 1 : 0,
      error_kind: "interrupted",
      error_message: interruptedMessage,
    });
  try {
    if (deps.governance === undefined) await recordEnd(deps.db, { costUsd: 0, costEstimated: run.usage.inputTokens + run.usage.outputTokens > 0 });
    else await deps.governance.chargeInterrupted(run, recordEnd);
  } catch (error) {
    // Charging failed: close the run anyway, so it never stays open; its cost is unknown.
    deps.logger.error({ err: error, runId: row.run_id }, "could not charge an interrupted run; closing it without its cost");
    await recordEnd(deps.db, { costUsd: 0, costEstimated: true });
  }
}

function interruptedRunOf(row: RunRow): InterruptedRun {
  return {
    runId: row.run_id,
    modelId: row.model_id,
    upstreamModel: row.upstream_model,
    subject: {
      agentId: row.agent_id ?? undefined,
      sessionId: row.session_id ?? undefined,
      userId: row.user_id ?? undefined,
      apiKeyId: row.caller_id === "admin" ? undefined : row.caller_id,
    },
    usage: { inputTokens: row.input_tokens, outputTokens: row.output_tokens, cachedInputTokens: 0, cacheWriteTokens: 0, estimated: true },
    at: row.heartbeat_at ?? row.created_at,
  };
}
