import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  ModelPriceSchema,
  type ModelPrice as ProtoModelPrice,
  UsageGroupBy,
  type UsageSummaryRow,
  UsageSummaryRowSchema,
} from "../../../gen/es/palyra/gateway/v1/usage_pb.js";
import type { UsageGroupKey, UsageGroupRow } from "../../governance/ledger/usage-summary.js";
import type { ModelPrice } from "../../governance/pricing/model-price.js";

/** A price for the API; "since always" (0) leaves effective_from unset. */
export function priceToProto(price: ModelPrice): ProtoModelPrice {
  return create(ModelPriceSchema, {
    modelId: price.modelId,
    inputPerMtok: price.inputPerMtok,
    outputPerMtok: price.outputPerMtok,
    cachedInputPerMtok: price.cachedInputPerMtok,
    cacheWritePerMtok: price.cacheWritePerMtok,
    perRequest: price.perRequest,
    ...(price.effectiveFrom > 0 && { effectiveFrom: timestampFromMs(price.effectiveFrom) }),
    source: price.source,
  });
}

const groupKeys: Record<UsageGroupBy, UsageGroupKey> = {
  // Unset groups by model, the question asked most.
  [UsageGroupBy.UNSPECIFIED]: "model",
  [UsageGroupBy.MODEL]: "model",
  [UsageGroupBy.PROVIDER]: "provider",
  [UsageGroupBy.AGENT]: "agent",
  [UsageGroupBy.API_KEY]: "api_key",
  [UsageGroupBy.DAY]: "day",
  [UsageGroupBy.HOUR]: "hour",
};

/** The grouping a request asks for; undefined for a value this build does not know. */
export function groupKeyFromProto(groupBy: UsageGroupBy): UsageGroupKey | undefined {
  return groupKeys[groupBy];
}

export function usageRowToProto(row: UsageGroupRow): UsageSummaryRow {
  const count = (value: number) => BigInt(Math.max(0, Math.round(value)));
  return create(UsageSummaryRowSchema, {
    key: row.key,
    runs: count(row.runs),
    errors: count(row.errors),
    inputTokens: count(row.inputTokens),
    outputTokens: count(row.outputTokens),
    cachedInputTokens: count(row.cachedInputTokens),
    costUsd: row.costUsd,
    estimatedRuns: count(row.estimatedRuns),
  });
}
