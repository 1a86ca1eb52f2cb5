import type { PricingConfig } from "../../config/schema.js";
import type { Usage } from "../../shared/model-types.js";

/** Where a price comes from, in priority order: set at runtime, configured, or the bundled catalog. */
export type PriceSource = "runtime" | "config" | "catalog";

/** One model's price from a moment on: USD per million tokens, and a fixed cost per request. */
export interface ModelPrice {
  modelId: string;
  inputPerMtok: number;
  outputPerMtok: number;
  cachedInputPerMtok: number;
  cacheWritePerMtok: number;
  perRequest: number;
  /** Milliseconds since the epoch; 0 means since always. */
  effectiveFrom: number;
  source: PriceSource;
}

/** The rates of a price, as a caller gives them (cached and cache-write rates default to the input rate). */
export interface PriceRates {
  inputPerMtok: number;
  outputPerMtok: number;
  cachedInputPerMtok?: number | undefined;
  cacheWritePerMtok?: number | undefined;
  perRequest?: number | undefined;
}

const perMillion = 1_000_000;

/**
 * What a run costs at a price. Cached and cache-write tokens are parts of the input, so each input
 * token is priced once: at the cached rate, the cache-write rate, or the plain input rate.
 */
export function costAtPrice(price: ModelPrice, usage: Usage): number {
  const cached = Math.max(0, usage.cachedInputTokens);
  const cacheWrite = Math.max(0, usage.cacheWriteTokens);
  const uncached = Math.max(0, usage.inputTokens - cached - cacheWrite);
  const tokenCost =
    uncached * price.inputPerMtok +
    cached * price.cachedInputPerMtok +
    cacheWrite * price.cacheWritePerMtok +
    Math.max(0, usage.outputTokens) * price.outputPerMtok;
  return tokenCost / perMillion + price.perRequest;
}

/** The price in force at `at` among one model's prices, which must be sorted newest first. */
export function priceInForce(newestFirst: readonly ModelPrice[] | undefined, at: number): ModelPrice | undefined {
  return newestFirst?.find((price) => price.effectiveFrom <= at);
}

/** Groups prices by model, each model's newest first, for priceInForce. */
export function indexByModel(prices: readonly ModelPrice[]): Map<string, ModelPrice[]> {
  const byModel = new Map<string, ModelPrice[]>();
  for (const price of prices) {
    const list = byModel.get(price.modelId) ?? [];
    list.push(price);
    byModel.set(price.modelId, list);
  }
  for (const list of byModel.values()) list.sort((a, b) => b.effectiveFrom - a.effectiveFrom);
  return byModel;
}

/** A complete price from rates, filling the cached and cache-write rates with the input rate. */
export function withDefaults(modelId: string, rates: PriceRates, effectiveFrom: number, source: PriceSource): ModelPrice {
  return {
    modelId,
    inputPerMtok: rates.inputPerMtok,
    outputPerMtok: rates.outputPerMtok,
    cachedInputPerMtok: rates.cachedInputPerMtok ?? rates.inputPerMtok,
    cacheWritePerMtok: rates.cacheWritePerMtok ?? rates.inputPerMtok,
    perRequest: rates.perRequest ?? 0,
    effectiveFrom,
    source,
  };
}

/** [[usage.pricing]] entries as prices (the schema has checked their numbers and dates). */
export function pricesFromConfig(entries: readonly PricingConfig[]): ModelPrice[] {
  return entries.map((entry) =>
    withDefaults(
      entry.model_id,
      {
        inputPerMtok: entry.input_per_mtok,
        outputPerMtok: entry.output_per_mtok,
        cachedInputPerMtok: entry.cached_input_per_mtok,
        cacheWritePerMtok: entry.cache_write_per_mtok,
        perRequest: entry.per_request,
      },
      entry.effective_from === undefined ? 0 : Date.parse(entry.effective_from),
      "config",
    ),
  );
}
