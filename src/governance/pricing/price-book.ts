import type { Usage } from "../../shared/model-types.js";

/** The price of a run, by the pricing in force when it ended. */
export interface PricedUsage {
  costUsd: number;
  /** False when no price is known for the model (the cost is then 0 and marked estimated). */
  priced: boolean;
}

/**
 * What budgets and the ledger need from pricing. Cached and cache-write tokens are parts of
 * usage.inputTokens and are priced at their own rates, never also as plain input.
 */
export interface PriceBook {
  costOf(model: { modelId: string; upstreamModel: string }, usage: Usage, at: number): PricedUsage;
  /**
   * This book with its config prices fixed as they are now: a run admitted before a config reload is
   * settled at the [[usage.pricing]] it started under (SetPricing's runtime prices still apply at its end).
   */
  fixedForRun?(): PriceBook;
}
