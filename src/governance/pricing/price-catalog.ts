import type { Usage } from "../../shared/model-types.js";
import type { PriceCatalogSource } from "./catalog-prices.js";
import { costAtPrice, indexByModel, type ModelPrice, priceInForce } from "./model-price.js";
import type { PriceBook, PricedUsage } from "./price-book.js";

export interface PriceCatalogSources {
  /** [[usage.pricing]] from the config. */
  config: readonly ModelPrice[];
  /** Prices set through UsageService.SetPricing (the model_prices table). */
  runtime?: readonly ModelPrice[];
  /** Default prices by upstream model name; none in tests that want only explicit prices. */
  catalog?: PriceCatalogSource | undefined;
}

/**
 * Prices runs from memory, so the request path never reads the database. For each run the first
 * source with a price in force when the run ended wins: runtime, then config (both by model id),
 * then the catalog (by upstream model name).
 */
export class PriceCatalog implements PriceBook {
  private config: ReadonlyMap<string, ModelPrice[]>;
  private runtime: ReadonlyMap<string, ModelPrice[]>;
  private readonly catalog: PriceCatalogSource | undefined;
  /** Reloads run one at a time, so a slower, older read never replaces a newer one. */
  private reloads: Promise<void> = Promise.resolve();

  constructor(sources: PriceCatalogSources) {
    this.config = indexByModel(sources.config);
    this.runtime = indexByModel(sources.runtime ?? []);
    this.catalog = sources.catalog;
  }

  costOf(model: { modelId: string; upstreamModel: string }, usage: Usage, at: number, config = this.config): PricedUsage {
    const explicit = this.explicitPrice(model.modelId, at, config);
    if (explicit !== undefined) return { costUsd: costAtPrice(explicit, usage), priced: true };
    const fromCatalog = this.catalog?.costOf(model.upstreamModel, usage, at);
    if (fromCatalog !== undefined) return { costUsd: fromCatalog, priced: true };
    return { costUsd: 0, priced: false };
  }

  /** The price that applies to a model at `at`, and where it comes from; undefined when none does. */
  priceFor(model: { modelId: string; upstreamModel: string }, at: number): ModelPrice | undefined {
    return this.explicitPrice(model.modelId, at) ?? this.catalog?.priceOf(model.upstreamModel, at, model.modelId);
  }

  /** The catalog's prices in force at `at` for the models whose upstream names it knows, each listed under its model id. */
  catalogPricesFor(models: readonly { modelId: string; upstreamModel: string }[], at: number): ModelPrice[] {
    return models.flatMap((model) => this.catalog?.priceOf(model.upstreamModel, at, model.modelId) ?? []);
  }

  /** Every configured and runtime price (past, current and future), config first, each by model and date. */
  listExplicit(): ModelPrice[] {
    const flatten = (index: ReadonlyMap<string, ModelPrice[]>) =>
      [...index.values()].flat().sort((a, b) => a.modelId.localeCompare(b.modelId) || a.effectiveFrom - b.effectiveFrom);
    return [...flatten(this.config), ...flatten(this.runtime)];
  }

  /** Swaps in the [[usage.pricing]] of a reloaded config, in one assignment. */
  replaceConfigPrices(prices: readonly ModelPrice[]): void {
    this.config = indexByModel(prices);
  }

  /** Swaps in the runtime prices `load` reads (after SetPricing wrote to their table). */
  reloadRuntime(load: () => Promise<readonly ModelPrice[]>): Promise<void> {
    const reload = this.reloads.then(async () => {
      this.runtime = indexByModel(await load());
    });
    this.reloads = reload.catch(() => undefined);
    return reload;
  }

  fixedForRun(): PriceBook {
    // The config table is replaced, never changed, on reload: holding it keeps the run's prices.
    const config = this.config;
    return { costOf: (model, usage, at) => this.costOf(model, usage, at, config) };
  }

  private explicitPrice(modelId: string, at: number, config = this.config): ModelPrice | undefined {
    return priceInForce(this.runtime.get(modelId), at) ?? priceInForce(config.get(modelId), at);
  }
}
