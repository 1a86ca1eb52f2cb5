import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { genaiPricesCatalog, type PriceCatalogSource } from "../../src/governance/pricing/catalog-prices.js";
import { createPriceCatalog } from "../../src/governance/pricing/create-price-catalog.js";
import { costAtPrice, type ModelPrice, pricesFromConfig, withDefaults } from "../../src/governance/pricing/model-price.js";
import { PriceCatalog } from "../../src/governance/pricing/price-catalog.js";
import { type NewPrice, setRuntimePrice, validateNewPrice } from "../../src/governance/pricing/runtime-prices.js";
import { GatewayError } from "../../src/shared/errors.js";
import type { Usage } from "../../src/shared/model-types.js";
import { openSqliteStore, type Store } from "../../src/store/open-store.js";

const usage = (input: number, output: number, cached = 0, cacheWrite = 0): Usage => ({
  inputTokens: input,
  outputTokens: output,
  cachedInputTokens: cached,
  cacheWriteTokens: cacheWrite,
  estimated: false,
});

const price = (rates: Partial<ModelPrice> & { modelId?: string } = {}): ModelPrice => ({
  modelId: "m",
  inputPerMtok: 2,
  outputPerMtok: 8,
  cachedInputPerMtok: 0.5,
  cacheWritePerMtok: 2.5,
  perRequest: 0,
  effectiveFrom: 0,
  source: "config",
  ...rates,
});

const model = { modelId: "chat", upstreamModel: "upstream-chat" };
const at = (iso: string) => Date.parse(iso);

/** A catalog that knows one upstream name at a flat $1/M everything, so the source that priced a run shows. */
const fakeCatalog: PriceCatalogSource = {
  costOf: (upstream, used) => (upstream === "upstream-chat" ? (used.inputTokens + used.outputTokens) / 1_000_000 : undefined),
  priceOf: (upstream, _at, modelId = upstream) =>
    upstream === "upstream-chat" ? withDefaults(modelId, { inputPerMtok: 1, outputPerMtok: 1 }, 0, "catalog") : undefined,
};

describe("cost arithmetic", () => {
  it("prices uncached input, cached input, cache writes and output each at their own rate, plus the request", () => {
    // 1000 input = 500 plain + 300 cached + 200 cache-write.
    const cost = costAtPrice(price({ perRequest: 0.001 }), usage(1000, 100, 300, 200));
    expect(cost).toBeCloseTo((500 * 2 + 300 * 0.5 + 200 * 2.5 + 100 * 8) / 1e6 + 0.001, 12);
  });

  it("never prices cached or cache-write tokens twice (they are part of the input, not added to it)", () => {
    const allCached = costAtPrice(price(), usage(1000, 0, 1000));
    expect(allCached).toBeCloseTo((1000 * 0.5) / 1e6, 12);
    const allWritten = costAtPrice(price(), usage(1000, 0, 0, 1000));
    expect(allWritten).toBeCloseTo((1000 * 2.5) / 1e6, 12);
    // More cached than input (a confused upstream) costs no negative plain input.
    expect(costAtPrice(price(), usage(100, 0, 150))).toBeCloseTo((150 * 0.5) / 1e6, 12);
  });

  it("fills unset cached and cache-write rates from the input rate in config prices", () => {
    const [configured] = pricesFromConfig([{ model_id: "chat", input_per_mtok: 3, output_per_mtok: 15, per_request: 0 }]);
    expect(configured).toMatchObject({ cachedInputPerMtok: 3, cacheWritePerMtok: 3, effectiveFrom: 0, source: "config" });
  });
});

describe("PriceCatalog", () => {
  it("applies the price in force when the run ended", () => {
    const catalog = new PriceCatalog({
      config: pricesFromConfig([
        { model_id: "chat", input_per_mtok: 1, output_per_mtok: 0, per_request: 0 },
        { model_id: "chat", input_per_mtok: 3, output_per_mtok: 0, per_request: 0, effective_from: "2026-03-01T00:00:00Z" },
        { model_id: "chat", input_per_mtok: 2, output_per_mtok: 0, per_request: 0, effective_from: "2026-02-01T00:00:00Z" },
      ]),
    });
    const million = usage(1_000_000, 0);
    expect(catalog.costOf(model, million, at("2026-01-15T00:00:00Z")).costUsd).toBe(1);
    expect(catalog.costOf(model, million, at("2026-02-01T00:00:00Z")).costUsd).toBe(2);
    expect(catalog.costOf(model, million, at("2026-02-28T23:59:59Z")).costUsd).toBe(2);
    expect(catalog.costOf(model, million, at("2026-03-02T00:00:00Z")).costUsd).toBe(3);
  });

  it("prefers runtime prices over config over the catalog, each only while it has a price in force", () => {
    const million = usage(1_000_000, 0);
    const config = [price({ modelId: "chat", inputPerMtok: 5, effectiveFrom: at("2026-01-01T00:00:00Z") })];
    const runtime = [price({ modelId: "chat", inputPerMtok: 7, effectiveFrom: at("2026-06-01T00:00:00Z"), source: "runtime" })];
    const catalog = new PriceCatalog({ config, runtime, catalog: fakeCatalog });
    expect(catalog.costOf(model, million, at("2025-12-01T00:00:00Z"))).toEqual({ costUsd: 1, priced: true });
    expect(catalog.costOf(model, million, at("2026-03-01T00:00:00Z"))).toEqual({ costUsd: 5, priced: true });
    expect(catalog.costOf(model, million, at("2026-07-01T00:00:00Z"))).toEqual({ costUsd: 7, priced: true });
    expect(catalog.priceFor(model, at("2026-07-01T00:00:00Z"))?.source).toBe("runtime");
    expect(catalog.priceFor(model, at("2025-12-01T00:00:00Z"))).toMatchObject({ modelId: "chat", source: "catalog" });
  });

  it("reports an unknown model as unpriced, costing 0", () => {
    const catalog = new PriceCatalog({ config: [], catalog: fakeCatalog });
    expect(catalog.costOf({ modelId: "x", upstreamModel: "nobody-knows-me" }, usage(10, 10), Date.now())).toEqual({ costUsd: 0, priced: false });
  });
});

describe("the bundled catalog (@pydantic/genai-prices)", () => {
  const bundled = genaiPricesCatalog();

  it("knows gpt-4o-mini's rates", () => {
    const listed = bundled.priceOf("gpt-4o-mini", Date.now(), "gpt-fake");
    expect(listed).toMatchObject({ modelId: "gpt-fake", source: "catalog", inputPerMtok: 0.15, outputPerMtok: 0.6, cachedInputPerMtok: 0.075 });
    // No cache-write rate in the catalog: writes cost the input rate.
    expect(listed?.cacheWritePerMtok).toBe(0.15);
  });

  it("prices a run by upstream name, cached tokens at the cached rate and once", () => {
    const catalog = new PriceCatalog({ config: [], catalog: bundled });
    const priced = catalog.costOf({ modelId: "gpt-fake", upstreamModel: "gpt-4o-mini" }, usage(1_000_000, 1_000_000, 200_000), Date.now());
    expect(priced.priced).toBe(true);
    expect(priced.costUsd).toBeCloseTo(0.8 * 0.15 + 0.2 * 0.075 + 0.6, 9);
  });

  it("prices Anthropic cache writes at their own rate", () => {
    const cost = bundled.costOf("claude-sonnet-4-5", usage(10_000, 1000, 2000, 3000), Date.now());
    expect(cost).toBeCloseTo((5000 * 3 + 2000 * 0.3 + 3000 * 3.75 + 1000 * 15) / 1e6, 9);
  });

  it("knows nothing of made-up names", () => {
    expect(bundled.costOf("palyra-echo", usage(10, 10), Date.now())).toBeUndefined();
    expect(bundled.priceOf("palyra-echo", Date.now())).toBeUndefined();
  });
});

describe("runtime prices", () => {
  let store: Store;
  beforeAll(async () => {
    store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), "palyra-pricing-")), "palyra.sqlite"));
  });
  afterAll(async () => {
    await store?.close();
  });

  const newPrice = (fields: Partial<NewPrice> = {}): NewPrice => ({
    modelId: "chat",
    inputPerMtok: 4,
    outputPerMtok: 16,
    cachedInputPerMtok: 0,
    cacheWritePerMtok: 0,
    perRequest: 0,
    effectiveFrom: undefined,
    ...fields,
  });

  it("validates prices, naming the field at fault", () => {
    const fieldOf = (fields: Partial<NewPrice>) => {
      try {
        validateNewPrice(newPrice(fields));
        return "valid";
      } catch (error) {
        return error instanceof GatewayError && error.kind === "invalid_request" ? error.param : "other error";
      }
    };
    expect(fieldOf({ modelId: "" })).toBe("price.model_id");
    expect(fieldOf({ modelId: "has spaces" })).toBe("price.model_id");
    expect(fieldOf({ inputPerMtok: -1 })).toBe("price.input_per_mtok");
    expect(fieldOf({ outputPerMtok: Number.NaN })).toBe("price.output_per_mtok");
    expect(fieldOf({ perRequest: Number.POSITIVE_INFINITY })).toBe("price.per_request");
    expect(fieldOf({ effectiveFrom: -5 })).toBe("price.effective_from");
    expect(fieldOf({ modelId: "openai/gpt-4o-mini" })).toBe("valid");
    // proto3 cannot tell unset from 0: unset cached and cache-write rates are the input rate.
    expect(validateNewPrice(newPrice())).toMatchObject({ cachedInputPerMtok: 4, cacheWritePerMtok: 4, source: "runtime" });
  });

  it("stores a price, replaces one for the same moment, and reloads the catalog from the table", async () => {
    const catalog = await createPriceCatalog({
      db: store.db,
      usage: { pricing: [{ model_id: "chat", input_per_mtok: 1, output_per_mtok: 1, per_request: 0 }] },
      catalog: fakeCatalog,
    });
    const million = usage(1_000_000, 0);
    expect(catalog.costOf(model, million, Date.now()).costUsd).toBe(1);

    await setRuntimePrice({ db: store.db, catalog }, newPrice({ inputPerMtok: 9 }));
    expect(catalog.costOf(model, million, Date.now()).costUsd).toBe(9);
    await setRuntimePrice({ db: store.db, catalog }, newPrice({ inputPerMtok: 6 }));
    expect(catalog.costOf(model, million, Date.now()).costUsd).toBe(6);
    const future = Date.now() + 86_400_000;
    await setRuntimePrice({ db: store.db, catalog }, newPrice({ inputPerMtok: 12, effectiveFrom: future }));
    expect(catalog.costOf(model, million, future).costUsd).toBe(12);

    // A price for a model the registry does not serve is refused before anything is stored.
    const refused = setRuntimePrice({ db: store.db, catalog, isKnownModel: (id) => id === "chat" }, newPrice({ modelId: "chta", inputPerMtok: 99 }));
    await expect(refused).rejects.toMatchObject({ param: "price.model_id", message: expect.stringContaining('no model "chta"') });

    // A new daemon reads the same table once at start-up.
    const restarted = await createPriceCatalog({ db: store.db, usage: { pricing: [] }, catalog: fakeCatalog });
    expect(restarted.listExplicit().map((listed) => [listed.inputPerMtok, listed.source])).toEqual([
      [6, "runtime"],
      [12, "runtime"],
    ]);
  });
});
