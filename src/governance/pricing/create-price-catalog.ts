import type { Kysely } from "kysely";
import type { UsageConfig } from "../../config/schema.js";
import type { Database } from "../../store/tables.js";
import { genaiPricesCatalog, type PriceCatalogSource } from "./catalog-prices.js";
import { pricesFromConfig } from "./model-price.js";
import { PriceCatalog } from "./price-catalog.js";
import { loadRuntimePrices } from "./runtime-prices.js";

export interface PriceCatalogDeps {
  db: Kysely<Database>;
  usage: Pick<UsageConfig, "pricing">;
  /** The default prices; the bundled @pydantic/genai-prices data unless a test gives its own. */
  catalog?: PriceCatalogSource;
}

/**
 * The daemon's PriceBook: runtime prices from model_prices (read once here, and again after every
 * SetPricing), [[usage.pricing]] from the config, and the bundled catalog for well-known upstream names.
 */
export async function createPriceCatalog(deps: PriceCatalogDeps): Promise<PriceCatalog> {
  return new PriceCatalog({
    config: pricesFromConfig(deps.usage.pricing),
    runtime: await loadRuntimePrices(deps.db),
    catalog: deps.catalog ?? genaiPricesCatalog(),
  });
}
