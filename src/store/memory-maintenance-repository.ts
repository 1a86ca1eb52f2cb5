import { type Kysely, SqliteAdapter, sql } from "kysely";
import type { Database } from "./tables.js";

// The memory system jobs' queries (maintenance and embeddings backfill). Every query that may touch
// many rows takes a limit: the jobs work in bounded batches so no statement holds the event loop long.

export interface MemoryTotals {
  items: number;
  bytes: number;
  vectors: number;
}

/** Items, their bytes and the vectors stored, over every agent. */
export async function memoryTotals(db: Kysely<Database>): Promise<MemoryTotals> {
  const items = await db
    .selectFrom("memory_items")
    .select((eb) => [eb.fn.countAll<number>().as("items"), eb.fn.coalesce(eb.fn.sum<number>("bytes"), sql<number>`0`).as("bytes")])
    .executeTakeFirst();
  const vectors = await db
    .selectFrom("memory_vectors")
    .select((eb) => eb.fn.countAll<number>().as("vectors"))
    .executeTakeFirst();
  return { items: Number(items?.items ?? 0), bytes: Number(items?.bytes ?? 0), vectors: Number(vectors?.vectors ?? 0) };
}

/** Up to `limit` ids of items whose expiry is at or before `now`. */
export async function expiredItemIds(db: Kysely<Database>, now: number, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom("memory_items")
    .select("memory_id")
    .where("expires_at", "is not", null)
    .where("expires_at", "<=", now)
    .limit(limit)
    .execute();
  return rows.map((row) => row.memory_id);
}

/** Deletes items and their vectors (the full-text index follows by trigger); returns the items deleted. */
export async function deleteItemsWithVectors(db: Kysely<Database>, memoryIds: readonly string[]): Promise<number> {
  if (memoryIds.length === 0) return 0;
  return db.transaction().execute(async (trx) => {
    await trx.deleteFrom("memory_vectors").where("memory_id", "in", memoryIds).execute();
    const result = await trx.deleteFrom("memory_items").where("memory_id", "in", memoryIds).executeTakeFirst();
    return Number(result.numDeletedRows);
  });
}

/** Agents holding more than `maxItems` items or `maxBytes` bytes, with what they hold. */
export async function agentsOverCaps(db: Kysely<Database>, maxItems: number, maxBytes: number): Promise<{ agentId: string; items: number; bytes: number }[]> {
  const rows = await db
    .selectFrom("memory_items")
    .select((eb) => ["agent_id", eb.fn.countAll<number>().as("items"), eb.fn.sum<number>("bytes").as("bytes")])
    .groupBy("agent_id")
    .having((eb) => eb.or([eb(eb.fn.countAll(), ">", maxItems), eb(eb.fn.sum("bytes"), ">", maxBytes)]))
    .execute();
  return rows.map((row) => ({ agentId: row.agent_id, items: Number(row.items), bytes: Number(row.bytes) }));
}

/** An agent's oldest items first (by creation, then insertion), `limit` of them. */
export async function oldestItemsOf(db: Kysely<Database>, agentId: string, limit: number): Promise<{ memoryId: string; bytes: number }[]> {
  const rows = await db
    .selectFrom("memory_items")
    .select(["memory_id", "bytes"])
    .where("agent_id", "=", agentId)
    .orderBy("created_at")
    .orderBy("item_key")
    .limit(limit)
    .execute();
  return rows.map((row) => ({ memoryId: row.memory_id, bytes: Number(row.bytes) }));
}

/**
 * Deletes up to `limit` vectors no search reads: those of another model than `currentModelId` (after
 * the embeddings model changed) and those whose item is gone. Returns how many were deleted.
 */
export async function deleteUnusedVectors(db: Kysely<Database>, currentModelId: string | undefined, limit: number): Promise<number> {
  const rows = await db
    .selectFrom("memory_vectors as v")
    .leftJoin("memory_items as i", "i.memory_id", "v.memory_id")
    .select(["v.memory_id", "v.model_id"])
    .where((eb) => {
      const orphan = eb("i.memory_id", "is", null);
      return currentModelId === undefined ? orphan : eb.or([orphan, eb("v.model_id", "!=", currentModelId)]);
    })
    .limit(limit)
    .execute();
  let deleted = 0;
  for (const row of rows) {
    const result = await db.deleteFrom("memory_vectors").where("memory_id", "=", row.memory_id).where("model_id", "=", row.model_id).executeTakeFirst();
    deleted += Number(result.numDeletedRows);
  }
  return deleted;
}

/**
 * Tidies the store after deletions: merges the full-text index's segments and lets SQLite refresh its
 * statistics and give back free pages (a no-op unless auto_vacuum is incremental). SQLite only;
 * another dialect has its own maintenance (autovacuum on PostgreSQL).
 */
export async function optimizeMemoryStore(db: Kysely<Database>): Promise<boolean> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return false;
  await sql`insert into memory_fts(memory_fts) values('optimize')`.execute(db);
  await sql`pragma optimize`.execute(db);
  await sql`pragma incremental_vacuum(1000)`.execute(db);
  return true;
}
