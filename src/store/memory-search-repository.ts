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

/** The agent's best `limit` live items for a full-text expression (from ftsExpression), best first. */
export async function lexicalMatches(
  db: Kysely<Database>,
  options: MemoryItemFilter & { agentId: string; expression: string; limit: number },
): Promise<LexicalMatch[]> {
  // bm25() is lower for better matches; negated here so every score is "higher is closer".
  const rows = await db
    .selectFrom(sql<{ rowid: number }>`memory_fts`.as("memory_fts"))
    .innerJoin("memory_items", (join) => join.on(sql`memory_items.item_key`, "=", sql`memory_fts.rowid`))
    .select(["memory_items.item_key as itemKey", sql<number>`-bm25(memory_fts)`.as("score")])
    .where(sql<boolean>`memory_fts match ${options.expression}`)
    .where("memory_items.agent_id", "=", options.agentId)
    .where((eb) => liveItems(eb, options))
    .orderBy("score", "desc")
    .limit(options.limit)
    .execute();
  return rows.map((row) => ({ itemKey: Number(row.itemKey), score: Number(row.score) }));
}

/** A stored vector of one item: Float32 little-endian, unit length. */
export interface VectorCandidate {
  itemKey: number;
  createdAt: number;
  vector: Uint8Array;
}

/**
 * One chunk of the agent's live items that have a vector for `modelId`, newest first, after `after`:
 * semantic search scans them all a chunk at a time. Walks memory_items' (agent_id, created_at) index,
 * so each chunk costs its own size whatever the journal holds.
 */
export async function vectorChunk(
  db: Kysely<Database>,
  options: MemoryItemFilter & { agentId: string; modelId: string; after?: MemoryCursor | undefined; limit: number },
): Promise<VectorCandidate[]> {
  let query = db
    .selectFrom("memory_items")
    .innerJoin("memory_vectors", (join) =>
      join.onRef("memory_vectors.memory_id", "=", "memory_items.memory_id").on("memory_vectors.model_id", "=", options.modelId),
    )
    .select(["memory_items.item_key as itemKey", "memory_items.created_at as createdAt", "memory_vectors.vector as vector"])
    .where("memory_items.agent_id", "=", options.agentId)
    .where((eb) => liveItems(eb, options))
    .orderBy("memory_items.created_at", "desc")
    .orderBy("memory_items.item_key", "desc")
    .limit(options.limit);
  const after = options.after;
  if (after !== undefined) {
    query = query.where((eb) => eb(eb.refTuple("memory_items.created_at", "memory_items.item_key"), "<", eb.tuple(after.createdAt, after.itemKey)));
  }
  return query.execute();
}
