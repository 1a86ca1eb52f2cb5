import type { RunGovernance, SmartRouter } from "../governance/run-governance.js";
import type { Caller } from "../identity/caller.js";
import type { ModelRegistry } from "../registry/model-registry.js";
import type { ProviderCircuits } from "../registry/provider-circuits.js";
import type { ResponseCache } from "../registry/response-cache.js";
import type { Logger } from "../shared/logger.js";
import type { Usage } from "../shared/model-types.js";
import type { Store } from "../store/open-store.js";
import { ActiveRuns } from "./active-runs.js";
import type { ChatSucceededListener } from "./chat-succeeded.js";
import type { CloseRunDeps } from "./close-run.js";
import type { RunObserver } from "./run-observer.js";

export interface RunEngineDeps {
  store: Store;
  /** Budgets and pricing: admission before dispatch, settlement at the end. */
  governance?: RunGovernance;
  /** Smart routing by prompt complexity. */
  router?: SmartRouter;
  registry: ModelRegistry;
  logger: Logger;
  circuits: ProviderCircuits;
  cache: ResponseCache;
  /** 0 healthy or unknown, 1 degraded, 2 down: degraded providers are tried later. */
  healthRankOf?: (providerId: string) => number;
  /** Told the usage of every run once it is recorded (per-caller token limits count it). */
  usageObserver?: UsageObserver;
  /** Told of every succeeded chat run after its end is recorded and sent (memory's run capture); unset costs runs nothing. */
  onChatSucceeded?: ChatSucceededListener | undefined;
  /** Told of run ends, retries, failovers and cache lookups (the metrics); unset costs runs nothing. */
  runObserver?: RunObserver | undefined;
  now?: () => number;
  random?: () => number;
}

/** Receives the recorded usage of each run, with the caller who made it. */
export type UsageObserver = (caller: Caller, usage: Usage) => void;

/** What every kind of run works with: the engine's dependencies, its clock and the runs in flight. */
export interface RunContext {
  readonly deps: RunEngineDeps;
  readonly now: () => number;
  readonly active: ActiveRuns;
}

export function createRunContext(deps: RunEngineDeps): RunContext {
  return { deps, now: deps.now ?? Date.now, active: new ActiveRuns() };
}

/** What closing out a caller's run needs: the ledger, the clock, the logger, the caller's usage observer and the run observer. */
export function closeDepsFor(context: RunContext, caller: Caller, agentId: string | undefined): CloseRunDeps {
  const { store, logger, usageObserver, runObserver } = context.deps;
  return {
    db: store.db,
    logger,
    now: context.now,
    onUsage: usageObserver && ((usage) => usageObserver(caller, usage)),
    onEnd: runObserver && ((end) => runObserver.runEnded(end, agentId)),
  };
}
