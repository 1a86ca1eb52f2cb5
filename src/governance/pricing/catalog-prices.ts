import { type ModelPrice as CatalogModelPrice, calcPrice, type PriceCalculation } from "@pydantic/genai-prices";
import type { Usage } from "../../shared/model-types.js";
import { type ModelPrice, withDefaults } from "./model-price.js";

/** The default prices: well-known upstream model names, priced by a maintained catalog. */
export interface PriceCatalogSource {
  /** What a run on this upstream model costs at `at`; undefined when the catalog does not know the model. */
  costOf(upstreamModel: string, usage: Usage, at: number): number | undefined;
  /** The catalog's rates for an upstream model at `at`, listed under `modelId`; undefined when unknown. */
  priceOf(upstreamModel: string, at: number, modelId?: string): ModelPrice | undefined;
}

/**
 * @pydantic/genai-prices with its bundled data only: updatePrices is never called, so nothing is
 * fetched at run time and a given package version always prices alike. Costs go through its calcPrice,
 * which applies tiered (long-context) and dated prices; listing shows each rate's base tier.
 */
export function genaiPricesCatalog(): PriceCatalogSource {
  // The catalog resolves names by pattern; most runs reuse a few names, so misses are remembered.
  const unknown = new Set<string>();

  const calculate = (upstreamModel: string, usage: Usage, at: number): PriceCalculation | undefined => {
    if (unknown.has(upstreamModel)) return undefined;
    const cached = Math.max(0, usage.cachedInputTokens);
    const cacheWrite = Math.max(0, usage.cacheWriteTokens);
    const catalogUsage = {
      // The catalog's input_tokens include cache reads and writes, as ours do; it rejects parts larger than the whole.
      input_tokens: Math.max(usage.inputTokens, cached + cacheWrite),
      cache_read_tokens: cached,
      cache_write_tokens: cacheWrite,
      output_tokens: Math.max(0, usage.outputTokens),
    };
    try {
      const result = calcPrice(catalogUsage, upstreamModel, { timestamp: new Date(at) });
      if (result === null) unknown.add(upstreamModel);
      return result ?? undefined;
    } catch {
      // A catalog entry it cannot apply (unusual units) counts as no price, never as a failed run.
      return undefined;
    }
  };

  return {
    costOf: (upstreamModel, usage, at) => calculate(upstreamModel, usage, at)?.total_price,
    priceOf(upstreamModel, at, modelId = upstreamModel) {
      const found = calculate(upstreamModel, { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, estimated: false }, at);
      if (found === undefined) return undefined;
      const rates = found.model_price;
      const input = baseRate(rates, "input_mtok");
      if (input === undefined) return undefined;
      const requestsPerThousand = baseRate(rates, "requests_kcount");
      return withDefaults(
        modelId,
        {
          inputPerMtok: input,
          outputPerMtok: baseRate(rates, "output_mtok") ?? 0,
          cachedInputPerMtok: baseRate(rates, "cache_read_mtok"),
          cacheWritePerMtok: baseRate(rates, "cache_write_mtok"),
          perRequest: requestsPerThousand === undefined ? 0 : requestsPerThousand / 1000,
        },
        0,
        "catalog",
      );
    },
  };
}

/** A rate as a number: flat, or the base tier of a tiered price. */
function baseRate(rates: CatalogModelPrice, key: string): number | undefined {
  const rate = rates[key];
  if (rate === undefined) return undefined;
  return typeof rate === "number" ? rate : rate.base;
}
