import type { Kysely } from "kysely";
import type { Database, ModelPriceRow } from "./tables.js";

/** Every runtime price, by model and date. The table holds a few rows per model, so it is read whole. */
export async function listModelPrices(db: Kysely<Database>): Promise<ModelPriceRow[]> {
  return db.selectFrom("model_prices").selectAll().orderBy("model_id").orderBy("effective_from").execute();
}

/** Stores a price; one already set for the same model and moment is replaced. */
export async function upsertModelPrice(db: Kysely<Database>, row: ModelPriceRow): Promise<void> {
  const { model_id: _model, effective_from: _from, ...rates } = row;
  await db
    .insertInto("model_prices")
    .values(row)
    .onConflict((conflict) => conflict.columns(["model_id", "effective_from"]).doUpdateSet(rates))
    .execute();
}
