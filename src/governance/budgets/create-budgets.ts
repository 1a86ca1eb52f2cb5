import type { UsageConfig } from "../../config/schema.js";
import { policyFromConfig } from "../../shared/budget-policy.js";
import type { Logger } from "../../shared/logger.js";
import { releaseAllReservations } from "../../store/budget-counters-repository.js";
import type { Store } from "../../store/open-store.js";
import type { PriceBook } from "../pricing/price-book.js";
import { BudgetAdministration } from "./budget-administration.js";
import { BudgetGovernance } from "./budget-governance.js";
import type { BudgetObserver } from "./budget-observer.js";
import { BudgetPolicies } from "./budget-policies.js";

export interface Budgets {
  /** The run engine's admission and settlement. */
  governance: BudgetGovernance;
  /** UsageService's budget RPCs. */
  administration: BudgetAdministration;
  /** The policies in force (the integrity audit compares their counters with the ledger). */
  policies: BudgetPolicies;
}

/**
 * Budgets for a starting daemon: the config's policies and the stored runtime ones. Reservations
 * left by a previous daemon are released first: no run is in flight at start-up (the runs it left
 * are closed out as interrupted afterwards, and charged their last heartbeat's checkpoint).
 */
export async function createBudgets(deps: {
  store: Pick<Store, "db">;
  usage: UsageConfig;
  priceBook: PriceBook;
  logger: Logger;
  /** Whether a client key id was issued (api_key policies name one). */
  apiKeyExists?: (keyId: string) => Promise<boolean>;
  /** Told of each refusal, by policy (the metrics). */
  observer?: BudgetObserver | undefined;
  now?: () => number;
}): Promise<Budgets> {
  const { store, usage, priceBook, logger, apiKeyExists, observer } = deps;
  const now = deps.now ?? Date.now;
  const released = await releaseAllReservations(store.db);
  if (released > 0) logger.warn({ counters: released }, "released budget reservations a previous daemon left behind");
  const policies = await BudgetPolicies.load(store.db, usage.budgets.map(policyFromConfig), now);
  // Keys live in the database, so the config cannot be checked when it loads; say so at start-up instead.
  for (const policy of policies.list()) {
    if (policy.scopeKind === "api_key" && apiKeyExists !== undefined && !(await apiKeyExists(policy.scopeId))) {
      logger.warn(
        { policyId: policy.policyId, keyId: policy.scopeId },
        `budget "${policy.policyId}" is for API key "${policy.scopeId}", which was never issued: it applies to no one`,
      );
    }
  }
  return {
    governance: new BudgetGovernance({ store, policies, priceBook, timeZone: usage.timezone, logger, observer, now }),
    administration: new BudgetAdministration({ db: store.db, policies, timeZone: usage.timezone, apiKeyExists, now }),
    policies,
  };
}
