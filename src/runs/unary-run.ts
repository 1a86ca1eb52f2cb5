import type { RunCost } from "../governance/run-governance.js";
import type { ResolvedModel } from "../registry/model-registry.js";
import { GatewayError } from "../shared/errors.js";
import type { Usage } from "../shared/model-types.js";
import { closeRun } from "./close-run.js";
import { admitRun, type RunAdmission } from "./run-admission.js";
import { closeDepsFor, type RunContext } from "./run-context.js";
import { type RunFacts, servedBy } from "./run-end.js";

/** The answer of a one-shot run (embeddings, transcription) and the run that produced it. */
export interface UnaryRunResult<T> {
  runId: string;
  resolved: ResolvedModel;
  result: T;
  cost: RunCost;
}

/** A one-shot run's upstream call: its answer and the usage the upstream reported. */
export type UnaryWork<T> = (signal: AbortSignal) => Promise<{ result: T; usage: Usage | undefined }>;

/**
 * Admits a one-shot run (embeddings, transcription), makes its one upstream call and closes it out,
 * as chat runs are admitted and closed. Aborting `callerSignal` (the caller went away) cancels it.
 * Resolves with the answer once the run is recorded; throws the run's error when it failed or was cancelled.
 */
export async function runUnary<T>(context: RunContext, admission: RunAdmission, callerSignal: AbortSignal, work: UnaryWork<T>): Promise<UnaryRunResult<T>> {
  const run = await admitRun(context, admission);
  const onCallerGone = () => context.active.cancel(run.active, "the client disconnected");
  callerSignal.addEventListener("abort", onCallerGone, { once: true });
  const facts: RunFacts = { servedBy: servedBy(admission.resolved), attempts: 1, cacheHit: false, firstOutputMs: undefined, usage: undefined };
  let result: T | undefined;
  const ended = (async () => {
    try {
      const answer = await work(run.signal);
      result = answer.result;
      facts.usage = answer.usage;
    } catch (error) {
      facts.failure = { error };
    } finally {
      callerSignal.removeEventListener("abort", onCallerGone);
    }
    return closeRun(closeDepsFor(context, run.caller, admission.attribution.agentId), run, facts);
  })();
  context.active.track(run.runId, run.active, ended);

  const end = await ended;
  if (end.error !== undefined) throw end.error;
  if (result === undefined) throw new GatewayError("internal", "the upstream returned no result");
  return { runId: run.runId, resolved: admission.resolved, result, cost: end.cost };
}
