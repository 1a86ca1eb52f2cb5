import type { Kysely } from "kysely";
import { invalidRequest } from "../../shared/errors.js";
import { listModelPrices, upsertModelPrice } from "../../store/pricing-repository.js";
import type { Database, ModelPriceRow } from "../../store/tables.js";
import { type ModelPrice, withDefaults } from "./model-price.js";
import type { PriceCatalog } from "./price-catalog.js";

/**
 * A price as SetPricing receives it: cached and cache-write rates of 0 (proto3's unset) mean the
 * input rate, and an undefined effectiveFrom (milliseconds since the epoch) means since always.
 */
export type NewPrice = Omit<ModelPrice, "source" | "effectiveFrom"> & { effectiveFrom: number | undefined };

// The same shape [[usage.pricing]].model_id and registry model ids have.
const modelIdPattern = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

/**
 * Validates and stores a runtime price (replacing one for the same model and moment), then reloads
 * the catalog's runtime prices from the table, so the request path only ever reads memory.
 */
export async function setRuntimePrice(
  deps: {
    db: Kysely<Database>;
    catalog: PriceCatalog;
    /** Whether the registry serves a model: a price for one it does not would never apply, most likely a typo. */
    isKnownModel?: (modelId: string) => boolean;
    now?: () => number;
  },
  input: NewPrice,
): Promise<ModelPrice> {
  const price = validateNewPrice(input);
  if (deps.isKnownModel !== undefined && !deps.isKnownModel(price.modelId)) {
    throw invalidRequest("price.model_id", `no model "${price.modelId}" in the registry (palyra models list shows them)`);
  }
  const row: ModelPriceRow = {
    model_id: price.modelId,
    effective_from: price.effectiveFrom,
    input_per_mtok: price.inputPerMtok,
    output_per_mtok: price.outputPerMtok,
    cached_input_per_mtok: price.cachedInputPerMtok,
    cache_write_per_mtok: price.cacheWritePerMtok,
    per_request: price.perRequest,
    updated_at: (deps.now ?? Date.now)(),
  };
  await upsertModelPrice(deps.db, row);
  await deps.catalog.reloadRuntime(() => loadRuntimePrices(deps.db));
  return price;
}

/** The model_prices table as prices. */
export async function loadRuntimePrices(db: Kysely<Database>): Promise<ModelPrice[]> {
  return (await listModelPrices(db)).map((row) => ({
    modelId: row.model_id,
    inputPerMtok: row.input_per_mtok,
    outputPerMtok: row.output_per_mtok,
    cachedInputPerMtok: row.cached_input_per_mtok,
    cacheWritePerMtok: row.cache_write_per_mtok,
    perRequest: row.per_request,
    effectiveFrom: Number(row.effective_from),
    source: "runtime",
  }));
}

/** Checks a new price and fills its defaults; throws invalid_request naming the field at fault. */
export function validateNewPrice(input: NewPrice): ModelPrice {
  const modelId = input.modelId.trim();
  if (modelId === "") throw invalidRequest("price.model_id", "is required");
  if (!modelIdPattern.test(modelId)) {
    throw invalidRequest("price.model_id", "must be 1-128 letters, digits or . _ : / - (starting with a letter or digit)");
  }
  const rates = {
    input_per_mtok: input.inputPerMtok,
    output_per_mtok: input.outputPerMtok,
    cached_input_per_mtok: input.cachedInputPerMtok,
    cache_write_per_mtok: input.cacheWritePerMtok,
    per_request: input.perRequest,
  };
  for (const [field, value] of Object.entries(rates)) {
    if (!Number.isFinite(value) || value < 0) throw invalidRequest(`price.${field}`, "must be a finite number of at least 0");
  }
  const effectiveFrom = input.effectiveFrom ?? 0;
  if (!Number.isSafeInteger(effectiveFrom) || effectiveFrom < 0) {
    throw invalidRequest("price.effective_from", "must be a moment after 1970-01-01T00:00:00Z");
  }
  return withDefaults(
    modelId,
    {
      inputPerMtok: input.inputPerMtok,
      outputPerMtok: input.outputPerMtok,
      cachedInputPerMtok: input.cachedInputPerMtok > 0 ? input.cachedInputPerMtok : undefined,
      cacheWritePerMtok: input.cacheWritePerMtok > 0 ? input.cacheWritePerMtok : undefined,
      perRequest: input.perRequest,
    },
    effectiveFrom,
    "runtime",
  );
}
