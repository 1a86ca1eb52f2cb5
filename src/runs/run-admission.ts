import { randomUUID } from "node:crypto";
import type { LedgerWrite } from "../governance/run-governance.js";
import type { Caller } from "../identity/caller.js";
import type { ResolvedModel } from "../registry/model-registry.js";
import type { RunKind } from "../store/tables.js";
import type { ActiveRun } from "./active-runs.js";
import type { BudgetTerms } from "./budget-terms.js";
import type { ClosingRun } from "./close-run.js";
import type { RunContext } from "./run-context.js";
import { type RunAttribution, type RunRouting, recordRunStart } from "./run-records.js";

/** A run asking to be admitted: its kind, its model, who it is for, and what budgets judge it by. */
export interface RunAdmission {
  kind: RunKind;
  resolved: ResolvedModel;
  attribution: RunAttribution;
  budget: BudgetTerms;
  routing?: RunRouting | undefined;
}

/** An admitted run, recorded as running and ready to be tracked in flight and closed out (closeRun). */
export interface AdmittedRun extends ClosingRun {
  caller: Caller;
  /** Its cancellation and ownership; tracked by the caller once its work is under way. */
  active: ActiveRun;
  /** The models its budgets let it be served by, in order; undefined without governance (any). */
  affordable: readonly string[] | undefined;
}

/**
 * Admits a run of any kind and records it as running, before any upstream call, so no admitted run
 * goes unrecorded. With governance both happen in the transaction that reserves the run's worst case;
 * governance may refuse the run there, and then nothing is recorded.
 */
export async function admitRun(context: RunContext, run: RunAdmission): Promise<AdmittedRun> {
  const runId = randomUUID();
  const startedAt = context.now();
  const { kind, resolved, attribution, budget, routing } = run;
  const recordStart: LedgerWrite = (db) => recordRunStart(db, { runId, kind, startedAt, resolved, attribution, routing });
  const { governance, store } = context.deps;
  let settle: AdmittedRun["settle"];
  let affordable: AdmittedRun["affordable"];
  if (governance === undefined) {
    await recordStart(store.db);
  } else {
    const request = { ...budget.query, runId, kind, approvalId: budget.approvalId, requestHash: once(budget.requestHash) };
    const admission = await governance.admit(request, recordStart);
    settle = (settlement, recordEnd) => governance.settle(admission, settlement, recordEnd);
    affordable = admission.models;
  }
  const active = context.active.begin(attribution.caller, startedAt);
  return {
    runId,
    startedAt,
    caller: attribution.caller,
    active,
    signal: active.controller.signal,
    cancelReason: () => active.cancelReason,
    settle,
    affordable,
  };
}

function once<T>(compute: () => T): () => T {
  let value: { computed: T } | undefined;
  return () => (value ??= { computed: compute() }).computed;
}
