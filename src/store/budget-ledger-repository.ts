import type { Kysely } from "kysely";
import type { BudgetScopeKind } from "../shared/budget-policy.js";
import type { Database } from "./tables.js";

/** Whose runs a budget counts: a scope kind and id, as budget policies name them. */
export interface LedgerScope {
  kind: BudgetScopeKind;
  id: string;
}

/** A finished run's figures as budgets charge them. */
export interface LedgerCharge {
  runId: string;
  createdAt: number;
  tokens: number;
  costUsd: number;
}

/** Where a page of the ledger ends, to read the next one from. */
export interface LedgerCursor {
  createdAt: number;
  runId: string;
}

/**
 * One page of the finished runs created in [start, end) for a scope, in (created_at, run_id) order
 * after `after`: the integrity audit sums a budget's interval a page at a time, so no statement grows
 * with history. Cache hits used no tokens the budgets count. api_key scopes match the caller's key id.
 */
export async function pageLedgerCharges(
  db: Kysely<Database>,
  query: { scope: LedgerScope; start: number; end: number; after: LedgerCursor | undefined; limit: number },
): Promise<LedgerCharge[]> {
  const { scope, after } = query;
  let select = db
    .selectFrom("runs")
    .select(["run_id", "created_at", "input_tokens", "output_tokens", "cost_usd", "cache_hit"])
    .where("created_at", ">=", query.start)
    .where("created_at", "<", query.end)
    .where("status", "!=", "running");
  if (scope.kind === "agent") select = select.where("agent_id", "=", scope.id);
  if (scope.kind === "session") select = select.where("session_id", "=", scope.id);
  if (scope.kind === "user") select = select.where("user_id", "=", scope.id);
  if (scope.kind === "api_key") select = select.where("caller_id", "=", scope.id);
  if (after !== undefined) {
    select = select.where((eb) =>
      eb.or([eb("created_at", ">", after.createdAt), eb.and([eb("created_at", "=", after.createdAt), eb("run_id", ">", after.runId)])]),
    );
  }
  const rows = await select.orderBy("created_at").orderBy("run_id").limit(query.limit).execute();
  // Numbers through Number(): PostgreSQL returns bigint columns as strings.
  return rows.map((row) => ({
    runId: row.run_id,
    createdAt: Number(row.created_at),
    tokens: Number(row.cache_hit) === 1 ? 0 : Number(row.input_tokens) + Number(row.output_tokens),
    costUsd: Number(row.cost_usd),
  }));
}
