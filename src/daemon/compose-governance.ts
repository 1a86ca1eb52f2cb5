import type { GatewayConfig } from "../config/schema.js";
import type { BudgetObserver } from "../governance/budgets/budget-observer.js";
import { createBudgets } from "../governance/budgets/create-budgets.js";
import { createPriceCatalog } from "../governance/pricing/create-price-catalog.js";
import { ComplexityRouter } from "../governance/routing/smart-router.js";
import type { BudgetQuery } from "../governance/run-governance.js";
import type { ModelRegistry } from "../registry/model-registry.js";
import type { ProviderCircuits } from "../registry/provider-circuits.js";
import { recoverInterruptedRuns } from "../runs/recover-interrupted-runs.js";
import type { Logger } from "../shared/logger.js";
import type { Store } from "../store/open-store.js";

/**
 * Pricing, budgets and smart routing, built in the order they need each other, and the runs a previous
 * daemon left unfinished closed out once budgets have released the reservations it held.
 */
export async function composeGovernance(deps: {
  store: Store;
  config: GatewayConfig;
  registry: ModelRegistry;
  circuits: ProviderCircuits;
  healthRankOf: (providerId: string) => number;
  apiKeyExists: (keyId: string) => Promise<boolean>;
  observer: BudgetObserver;
  logger: Logger;
  startedAt: number;
}) {
  const { store, config, logger } = deps;
  // Prices runs (budgets and the ledger) from memory; SetPricing reloads its runtime table.
  const priceCatalog = await createPriceCatalog({ db: store.db, usage: config.usage });
  // Budgets admit each run before dispatch (reserving its worst case) and charge it when it ends.
  const budgets = await createBudgets({
    store,
    usage: config.usage,
    priceBook: priceCatalog,
    logger,
    apiKeyExists: deps.apiKeyExists,
    observer: deps.observer,
  });
  // Smart routing prefers models the caller's budgets would still admit the request on.
  const withinBudget = async (query: BudgetQuery) => (await budgets.governance.preview(query)).admitted;
  const router = new ComplexityRouter({
    config: config.usage.smart_routing,
    registry: deps.registry,
    healthRankOf: deps.healthRankOf,
    circuits: deps.circuits,
    withinBudget,
  });
  // After budgets released the reservations it left: its unfinished runs are charged their last checkpoint.
  const interrupted = await recoverInterruptedRuns({ db: store.db, governance: budgets.governance, now: deps.startedAt, logger });
  if (interrupted > 0) logger.warn({ runs: interrupted }, "closed out runs a previous daemon left unfinished, charged their last heartbeat");
  return { priceCatalog, budgets, router };
}
