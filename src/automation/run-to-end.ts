import type { Caller } from "../identity/caller.js";
import type { RunEngine } from "../runs/run-engine.js";
import { GatewayError, toGatewayError } from "../shared/errors.js";
import type { Usage } from "../shared/model-types.js";
import type { RunInput } from "../shared/run-input.js";

/** How a background run (a job's tick, a queued task) ended, as its record keeps it. */
export interface BackgroundRunOutcome {
  /** Undefined when the run was refused before admission (budgets, validation, shutdown). */
  runId: string | undefined;
  status: "succeeded" | "failed" | "cancelled";
  text: string;
  usage: Usage | undefined;
  costUsd: number;
  costEstimated: boolean;
  /** Why it failed or was cancelled (for a cancel, kind "cancelled" and the reason as message). */
  error: GatewayError | undefined;
}

export interface BackgroundRunHooks {
  /** Called once the run is admitted, with a way to cancel it. */
  onStart?: (runId: string, cancel: (reason: string) => void) => void;
  /** Called on each event of the run (heartbeats hang off this; keep it cheap). */
  onProgress?: () => void;
}

/**
 * Starts a run through the engine, exactly as a client's RunStream would, and reads it to its end.
 * Never throws: a refusal (budget, validation, shutdown) is a failed outcome without a run id.
 */
export async function runToEnd(engine: RunEngine, input: RunInput, caller: Caller, hooks: BackgroundRunHooks = {}): Promise<BackgroundRunOutcome> {
  let handle: Awaited<ReturnType<RunEngine["start"]>>;
  try {
    handle = await engine.start(input, caller);
  } catch (error) {
    return { runId: undefined, status: "failed", text: "", usage: undefined, costUsd: 0, costEstimated: false, error: toGatewayError(error) };
  }
  hooks.onStart?.(handle.runId, handle.cancel);
  const outcome: BackgroundRunOutcome = {
    runId: handle.runId,
    status: "failed",
    text: "",
    usage: undefined,
    costUsd: 0,
    costEstimated: false,
    error: new GatewayError("internal", "the run ended without a terminal event"),
  };
  for await (const event of handle.events) {
    hooks.onProgress?.();
    if (event.type === "completed") {
      Object.assign(outcome, {
        status: "succeeded",
        text: event.text,
        usage: event.usage,
        costUsd: event.costUsd,
        costEstimated: event.costEstimated,
        error: undefined,
      });
    } else if (event.type === "usage") {
      outcome.usage = event.usage;
    } else if (event.type === "failed") {
      Object.assign(outcome, { status: "failed", error: event.error });
    } else if (event.type === "cancelled") {
      Object.assign(outcome, { status: "cancelled", error: new GatewayError("cancelled", event.reason) });
    }
  }
  // The ledger row is the truth for what the run cost, whatever way it ended.
  const row = await engine.recorded(handle.runId).catch(() => undefined);
  if (row !== undefined) {
    outcome.usage ??= {
      inputTokens: row.input_tokens,
      outputTokens: row.output_tokens,
      cachedInputTokens: row.cached_input_tokens,
      cacheWriteTokens: row.cache_write_tokens,
      estimated: row.usage_estimated === 1,
    };
    outcome.costUsd = row.cost_usd;
    outcome.costEstimated = row.cost_estimated === 1;
  }
  return outcome;
}

/** Failures worth retrying: the upstream was unavailable, timed out or rate limited (never budgets or bad input). */
export function isTransientFailure(error: GatewayError | undefined): boolean {
  return error !== undefined && ["unavailable", "timeout", "rate_limit", "circuit_open", "transient", "network"].includes(error.kind);
}
