import { type ExpressionBuilder, type Kysely, sql } from "kysely";
import type { MemoryItemRow, NewMemoryItemRow } from "./memory-tables.js";
import type { Database } from "./tables.js";

// Memory journal items and their vectors (migration 0011). Times are milliseconds since the epoch.

/** What a list or search may narrow items to, beyond their agent. */
export interface MemoryItemFilter {
  sessionId?: string | undefined;
  /** Items carrying every one of these tags. */
  tags?: readonly string[] | undefined;
  /** Items not expired at this time (expired items are never shown). */
  liveAt: number;
}

/** Where the next page of a newest-first listing starts: after this item. */
export interface MemoryCursor {
  createdAt: number;
  itemKey: number;
}

/**
 * Inserts an item unless its agent already has one with the same content hash; returns the stored
 * item and whether it is new. The unique (agent_id, content_hash) constraint settles a race.
 */
export async function insertMemoryItem(db: Kysely<Database>, row: NewMemoryItemRow): Promise<{ item: MemoryItemRow; created: boolean }> {
  const inserted = await db
    .insertInto("memory_items")
    .values(row)
    .onConflict((conflict) => conflict.columns(["agent_id", "content_hash"]).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted !== undefined) return { item: inserted, created: true };
  const existing = await db
    .selectFrom("memory_items")
    .selectAll()
    .where("agent_id", "=", row.agent_id)
    .where("content_hash", "=", row.content_hash)
    .executeTakeFirstOrThrow();
  return { item: existing, created: false };
}

export async function findMemoryItem(db: Kysely<Database>, memoryId: string): Promise<MemoryItemRow | undefined> {
  return db.selectFrom("memory_items").selectAll().where("memory_id", "=", memoryId).executeTakeFirst();
}

/** The items with these ids (any agent's): for search results found by key. */
export async function findMemoryItemsByKey(db: Kysely<Database>, itemKeys: readonly number[]): Promise<MemoryItemRow[]> {
  if (itemKeys.length === 0) return [];
  return db.selectFrom("memory_items").selectAll().where("item_key", "in", itemKeys).execute();
}

/** Removes an item and its vectors. */
export async function deleteMemoryItem(db: Kysely<Database>, memoryId: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await trx.deleteFrom("memory_vectors").where("memory_id", "=", memoryId).execute();
    const result = await trx.deleteFrom("memory_items").where("memory_id", "=", memoryId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  });
}

/** One page of live items, newest first; one agent's when `agentId` is given (the admin may list all). */
export async function listMemoryItems(
  db: Kysely<Database>,
  options: MemoryItemFilter & { agentId?: string | undefined; after?: MemoryCursor | undefined; limit: number },
): Promise<MemoryItemRow[]> {
  let query = db
    .selectFrom("memory_items")
    .selectAll()
    .where((eb) => liveItems(eb, options))
    .orderBy("created_at", "desc")
    .orderBy("item_key", "desc")
    .limit(options.limit);
  if (options.agentId !== undefined) query = query.where("agent_id", "=", options.agentId);
  const after = options.after;
  if (after !== undefined) query = query.where((eb) => eb(eb.refTuple("created_at", "item_key"), "<", eb.tuple(after.createdAt, after.itemKey)));
  return query.execute();
}

/** The agent's live items matching the filter (session, tags, expiry), as a where clause on memory_items. */
export function liveItems(eb: ExpressionBuilder<Database, "memory_items">, filter: MemoryItemFilter) {
  const conditions = [eb.or([eb("memory_items.expires_at", "is", null), eb("memory_items.expires_at", ">", filter.liveAt)])];
  if (filter.sessionId) conditions.push(eb("memory_items.session_id", "=", filter.sessionId));
  // Tags are a JSON array column; json_each reads it on SQLite (PostgreSQL would say tags::jsonb @> $1).
  for (const tag of filter.tags ?? []) {
    conditions.push(eb.exists(sql`(select 1 from json_each(memory_items.tags) where json_each.value = ${tag})`));
  }
  return eb.and(conditions);
}

/** Items and bytes held, for one agent or every agent. */
export async function memoryTotals(db: Kysely<Database>, agentId?: string): Promise<{ items: number; bytes: number }> {
  let query = db.selectFrom("memory_items").select((eb) => [eb.fn.countAll<number>().as("items"), eb.fn.sum<number | null>("bytes").as("bytes")]);
  if (agentId !== undefined) query = query.where("agent_id", "=", agentId);
  const row = await query.executeTakeFirstOrThrow();
  return { items: Number(row.items), bytes: Number(row.bytes ?? 0) };
}

/** Items and bytes per agent, for every agent that has any. */
export async function memoryTotalsByAgent(db: Kysely<Database>): Promise<{ agentId: string; items: number; bytes: number }[]> {
  const rows = await db
    .selectFrom("memory_items")
    .select((eb) => ["agent_id", eb.fn.countAll<number>().as("items"), eb.fn.sum<number | null>("bytes").as("bytes")])
    .groupBy("agent_id")
    .execute();
  return rows.map((row) => ({ agentId: row.agent_id, items: Number(row.items), bytes: Number(row.bytes ?? 0) }));
}

/** How many items (one agent's, or all) have no vector for `modelId`. */
export async function countAwaitingEmbedding(db: Kysely<Database>, modelId: string, agentId?: string): Promise<number> {
  let query = db
    .selectFrom("memory_items")
    .select((eb) => eb.fn.countAll<number>().as("count"))
    .where(({ not, exists, selectFrom }) => not(exists(vectorOf(selectFrom, modelId))));
  if (agentId !== undefined) query = query.where("agent_id", "=", agentId);
  return Number((await query.executeTakeFirstOrThrow()).count);
}

/** An item waiting for its embedding: what the backfill embeds. */
export interface ItemAwaitingEmbedding {
  memoryId: string;
  agentId: string;
  text: string;
}

/**
 * Up to `limit` items (oldest first, any agent) that have no vector for `modelId`: the backfill's
 * next batch. Items embedded with another model count as waiting, so changing the model re-embeds all.
 */
export async function itemsAwaitingEmbedding(db: Kysely<Database>, modelId: string, limit: number): Promise<ItemAwaitingEmbedding[]> {
  const rows = await db
    .selectFrom("memory_items")
    .select(["memory_id", "agent_id", "text"])
    .where(({ not, exists, selectFrom }) => not(exists(vectorOf(selectFrom, modelId))))
    .orderBy("item_key")
    .limit(limit)
    .execute();
  return rows.map((row) => ({ memoryId: row.memory_id, agentId: row.agent_id, text: row.text }));
}

/** One item's embedding under one model. `vector` need not be unit length: it is normalised here. */
export interface VectorWrite {
  memoryId: string;
  agentId: string;
  modelId: string;
  vector: readonly number[];
  embeddedAt: number;
}

/** Stores vectors (replacing an item's earlier one for the same model), in one statement. */
export async function putVectors(db: Kysely<Database>, rows: readonly VectorWrite[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto("memory_vectors")
    .values(
      rows.map((row) => ({
        memory_id: row.memoryId,
        model_id: row.modelId,
        agent_id: row.agentId,
        dimensions: row.vector.length,
        vector: encodeUnitVector(row.vector),
        embedded_at: row.embeddedAt,
      })),
    )
    .onConflict((conflict) =>
      conflict.columns(["memory_id", "model_id"]).doUpdateSet((eb) => ({
        agent_id: eb.ref("excluded.agent_id"),
        dimensions: eb.ref("excluded.dimensions"),
        vector: eb.ref("excluded.vector"),
        embedded_at: eb.ref("excluded.embedded_at"),
      })),
    )
    .execute();
}

/** Float32 little-endian bytes of the vector scaled to unit length (cosine similarity is then a dot product). */
export function encodeUnitVector(vector: readonly number[]): Uint8Array {
  let squares = 0;
  for (const value of vector) squares += value * value;
  const norm = Math.sqrt(squares) || 1;
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, index) => bytes.writeFloatLE(value / norm, index * 4));
  return bytes;
}

/** Which of these items have a vector for `modelId`. */
export async function itemsEmbeddedWith(db: Kysely<Database>, memoryIds: readonly string[], modelId: string): Promise<Set<string>> {
  if (memoryIds.length === 0) return new Set();
  const rows = await db.selectFrom("memory_vectors").select("memory_id").where("model_id", "=", modelId).where("memory_id", "in", memoryIds).execute();
  return new Set(rows.map((row) => row.memory_id));
}

type SelectFrom = ExpressionBuilder<Database, "memory_items">["selectFrom"];

function vectorOf(selectFrom: SelectFrom, modelId: string) {
  return selectFrom("memory_vectors")
    .select("memory_vectors.memory_id")
    .whereRef("memory_vectors.memory_id", "=", "memory_items.memory_id")
    .where("memory_vectors.model_id", "=", modelId);
}
