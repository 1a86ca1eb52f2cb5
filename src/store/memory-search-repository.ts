import { type Kysely, sql } from "kysely";
import { liveItems, type MemoryCursor, type MemoryItemFilter } from "./memory-repository.js";
import type { Database } from "./tables.js";

// The queries behind memory search. Lexical search is SQLite FTS5 here; another dialect answers
// lexicalMatches with its own full-text index, and nothing above this file changes.

/** Longest query, in terms, turned into a full-text expression; more words add little and cost much. */
export const maxQueryTerms = 32;

/**
 * The caller's words as a safe FTS5 expression: every term a quoted string (quotes doubled), joined
 * with OR so an item matching any word is found and bm25 ranks those matching more words higher.
 * FTS5 syntax in the query (NEAR, column filters, *, ^, AND/OR/NOT, parentheses) is never interpreted.
 * Undefined when the query has no word to search for.
 */
export function ftsExpression(query: string): string | undefined {
  const terms = query
    .split(/[^\p{L}\p{N}_]+/u)
    .filter((term) => term.length > 0)
    .slice(0, maxQueryTerms);
  if (terms.length === 0) return undefined;
  return [...new Set(terms)].map((term) => `"${term.replaceAll('"', '""')}"`).join(" OR ");
}

/** A lexical hit: the item's key and its bm25 score made positive (higher is better). */
export interface LexicalMatch {
  itemKey: number;
  score: number;
}

/** The largest item key so far: lexical search walks the full-text index in ranges of keys up to it. */
export async function lastItemKey(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom("memory_items")
    .select((eb) => eb.fn.max("item_key").as("last"))
    .executeTakeFirst();
  return Number(row?.last ?? 0);
}

/**
 * The agent's best `limit` live items for a full-text expression (from ftsExpression) among the items
 * with keys in (afterKey, toKey], best first. bm25 weighs terms by the whole index, so the scores of
 * different ranges compare, and a search over many items runs as several short statements.
 */
export async function lexicalMatches(
  db: Kysely<Database>,
  options: MemoryItemFilter & { agentId: string; expression: string; limit: number; afterKey: number; toKey: number },
): Promise<LexicalMatch[]> {
  // bm25() is lower for better matches; negated here so every score is "higher is closer".
  const rows = await db
    .selectFrom(sql<{ rowid: number }>`memory_fts`.as("memory_fts"))
    .innerJoin("memory_items", (join) => join.on(sql`memory_items.item_key`, "=", sql`memory_fts.rowid`))
    .select(["memory_items.item_key as itemKey", sql<number>`-bm25(memory_fts)`.as("score")])
    .where(sql<boolean>`memory_fts match ${options.expression}`)
    .where(sql<boolean>`memory_fts.rowid > ${options.afterKey} and memory_fts.rowid <= ${options.toKey}`)
    .where("memory_items.agent_id", "=", options.agentId)
    .where((eb) => liveItems(eb, options))
    .orderBy("score", "desc")
    .limit(options.limit)
    .execute();
  return rows.map((row) => ({ itemKey: Number(row.itemKey), score: Number(row.score) }));
}

/** A semantic hit: the item's key and its cosine similarity to the query. */
export interface VectorMatch {
  itemKey: number;
  score: number;
}

/** One chunk's matches (positive similarity), and where the next chunk starts (undefined after the last). */
export interface VectorChunkResult {
  hits: VectorMatch[];
  next: MemoryCursor | undefined;
}

/**
 * Scores one chunk of the agent's live items that have a vector for `modelId` (newest first, after
 * `after`) against the query inside SQLite, with sqlite-vec's vec_distance_cosine, and returns those
 * with a positive similarity: the vectors never leave SQLite, so a chunk of a few thousand costs a
 * few milliseconds. Walks memory_items' (agent_id, created_at) index, so each chunk
 * costs its own size whatever the journal holds. `query` is Float32 little-endian bytes.
 */
export async function nearestInChunk(
  db: Kysely<Database>,
  options: MemoryItemFilter & { agentId: string; modelId: string; query: Uint8Array; after?: MemoryCursor | undefined; limit: number },
): Promise<VectorChunkResult> {
  const dimensions = options.query.byteLength / 4;
  const chunk = (eb: Kysely<Database>) => {
    let query = eb
      .selectFrom("memory_items")
      .innerJoin("memory_vectors", (join) =>
        join.onRef("memory_vectors.memory_id", "=", "memory_items.memory_id").on("memory_vectors.model_id", "=", options.modelId),
      )
      .where("memory_items.agent_id", "=", options.agentId)
      .where("memory_vectors.dimensions", "=", dimensions)
      .where((where) => liveItems(where, options))
      .orderBy("memory_items.created_at", "desc")
      .orderBy("memory_items.item_key", "desc");
    const after = options.after;
    if (after !== undefined) {
      query = query.where((where) =>
        where(where.refTuple("memory_items.created_at", "memory_items.item_key"), "<", where.tuple(after.createdAt, after.itemKey)),
      );
    }
    return query;
  };
  // One statement a chunk: SQLite scores every vector of it and hands back only keys and scores.
  const rows = await chunk(db)
    .select([
      "memory_items.item_key as itemKey",
      "memory_items.created_at as createdAt",
      sql<number>`1 - vec_distance_cosine(memory_vectors.vector, ${options.query})`.as("score"),
    ])
    .limit(options.limit)
    .execute();
  const last = rows.at(-1);
  return {
    hits: rows.filter((row) => Number(row.score) > 0).map((row) => ({ itemKey: Number(row.itemKey), score: Number(row.score) })),
    next: rows.length < options.limit || last === undefined ? undefined : { createdAt: Number(last.createdAt), itemKey: Number(last.itemKey) },
  };
}
