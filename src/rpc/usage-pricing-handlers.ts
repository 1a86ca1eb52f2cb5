import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Kysely } from "kysely";
import { summarizeUsage } from "../governance/ledger/usage-summary.js";
import type { PriceCatalog } from "../governance/pricing/price-catalog.js";
import { setRuntimePrice } from "../governance/pricing/runtime-prices.js";
import type { ModelRegistry } from "../registry/model-registry.js";
import { invalidRequest } from "../shared/errors.js";
import type { Database } from "../store/tables.js";
import { groupKeyFromProto, priceToProto, usageRowToProto } from "./convert/usage-to-proto.js";
import type { PricingHandlers } from "./usage-service.js";

export interface PricingHandlerDeps {
  db: Kysely<Database>;
  catalog: PriceCatalog;
  /** The configured (and discovered) models: SetPricing prices only those, include_catalog lists their catalog prices. */
  registry: Pick<ModelRegistry, "listModels">;
  /** usage.timezone: the days of a by-day summary are its calendar days. */
  timeZone: string;
  now?: () => number;
}

/** UsageService's pricing half: SetPricing, ListPricing and GetUsageSummary (admin only, see procedure-scopes.ts). */
export function createPricingHandlers(deps: PricingHandlerDeps): PricingHandlers {
  const now = deps.now ?? Date.now;
  return {
    async setPricing(request) {
      const price = request.price;
      if (price === undefined) throw invalidRequest("price", "is required");
      const isKnownModel = (modelId: string) => deps.registry.listModels({ includeDisabled: true }).some((model) => model.modelId === modelId);
      const stored = await setRuntimePrice(
        { db: deps.db, catalog: deps.catalog, isKnownModel, now },
        {
          modelId: price.modelId,
          inputPerMtok: price.inputPerMtok,
          outputPerMtok: price.outputPerMtok,
          cachedInputPerMtok: price.cachedInputPerMtok,
          cacheWritePerMtok: price.cacheWritePerMtok,
          perRequest: price.perRequest,
          effectiveFrom: price.effectiveFrom === undefined ? undefined : timestampMs(price.effectiveFrom),
        },
      );
      return { price: priceToProto(stored) };
    },

    async listPricing(request) {
      const catalogPrices = request.includeCatalog ? deps.catalog.catalogPricesFor(deps.registry.listModels({ includeDisabled: true }), now()) : [];
      return { prices: [...deps.catalog.listExplicit(), ...catalogPrices].map(priceToProto) };
    },

    async getUsageSummary(request) {
      const groupBy = groupKeyFromProto(request.groupBy);
      if (groupBy === undefined) throw invalidRequest("group_by", `unknown grouping ${request.groupBy}`);
      const summary = await summarizeUsage(
        deps.db,
        {
          groupBy,
          since: request.since === undefined ? undefined : timestampMs(request.since),
          until: request.until === undefined ? undefined : timestampMs(request.until),
        },
        now(),
        deps.timeZone,
      );
      return { rows: summary.rows.map(usageRowToProto), total: usageRowToProto(summary.total) };
    },
  };
}
