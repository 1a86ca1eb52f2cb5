import type { Caller } from "../identity/caller.js";
import type { RunEndListener, RunEngine } from "../runs/run-engine.js";
import type { RunInput } from "../shared/run-input.js";
import type { RunStatus } from "../store/tables.js";
import { type BackgroundRunHooks, type BackgroundRunOutcome, runToEnd } from "./run-to-end.js";

/** What the queue needs of the run engine (an interface, so unit tests drive the queue with scripted runs). */
export interface TaskRuns {
  /** Runs one attempt to its end; never throws. */
  run(input: RunInput, caller: Caller, hooks: BackgroundRunHooks): Promise<BackgroundRunOutcome>;
  onRunEnd(listener: RunEndListener): void;
  /** Who made a run and where it stands, from the ledger; undefined for an unknown run. */
  runInfo(runId: string): Promise<{ callerId: string; status: RunStatus } | undefined>;
}

export function taskRunsOf(engine: RunEngine): TaskRuns {
  return {
    run: (input, caller, hooks) => runToEnd(engine, input, caller, hooks),
    onRunEnd: (listener) => engine.onRunEnd(listener),
    async runInfo(runId) {
      const row = await engine.recorded(runId);
      return row && { callerId: row.caller_id, status: row.status };
    },
  };
}
