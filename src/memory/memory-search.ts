import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { Kysely } from "kysely";
import type { MemoryItemFilter } from "../store/memory-repository.js";
import { ftsExpression, lastItemKey, lexicalMatches } from "../store/memory-search-repository.js";
import type { Database } from "../store/tables.js";
import { combineHybrid, type RankedHit } from "./hybrid-score.js";
import { semanticScan, unitQuery } from "./semantic-scan.js";
import { type Scored, TopHits } from "./top-hits.js";

export type SearchMode = "lexical" | "semantic" | "hybrid";

/** A search, validated and bound to one agent. */
export interface SearchPlan extends MemoryItemFilter {
  agentId: string;
  query: string;
  k: number;
  mode: SearchMode;
  /** The current embeddings model; undefined when none is configured (semantic search then finds nothing). */
  modelId: string | undefined;
  /** The query's embedding under modelId: only called when the search needs it. */
  embedQuery: () => Promise<number[]>;
}

/** Candidates each side brings to a hybrid ranking: more than k, so an item strong on both sides is seen by both. */
export function candidatePool(k: number): number {
  return Math.min(300, Math.max(30, k * 3));
}

/** Runs a search: words through the full-text index, meaning through an exact scan of the agent's vectors, or both combined. */
export async function runSearch(db: Kysely<Database>, plan: SearchPlan): Promise<RankedHit[]> {
  if (plan.mode === "lexical") return (await lexical(db, plan, plan.k)).map((hit) => ({ ...hit, matchedBy: "lexical" }));
  if (plan.mode === "semantic") return (await semantic(db, plan, plan.k)).map((hit) => ({ ...hit, matchedBy: "semantic" }));
  const pool = candidatePool(plan.k);
  const [words, meaning] = await Promise.all([lexical(db, plan, pool), semantic(db, plan, pool)]);
  return combineHybrid(words, meaning, plan.k);
}

/**
 * Items a lexical statement covers: a word found in every one of 5,000 items costs SQLite a few
 * milliseconds to rank, so a large journal is searched a range at a time, yielding between ranges.
 */
export const lexicalRangeSize = 5000;

async function lexical(db: Kysely<Database>, plan: SearchPlan, limit: number): Promise<Scored[]> {
  const expression = ftsExpression(plan.query);
  if (expression === undefined) return [];
  const top = new TopHits(limit);
  const last = await lastItemKey(db);
  for (let afterKey = 0; afterKey < last; afterKey += lexicalRangeSize) {
    if (afterKey > 0) await yieldToEventLoop();
    const toKey = Math.min(last, afterKey + lexicalRangeSize);
    for (const hit of await lexicalMatches(db, { ...plan, expression, limit, afterKey, toKey })) top.offer(hit.itemKey, hit.score);
  }
  return top.best();
}

async function semantic(db: Kysely<Database>, plan: SearchPlan, k: number) {
  if (plan.modelId === undefined) return [];
  const query = unitQuery(await plan.embedQuery());
  return semanticScan(db, { ...plan, modelId: plan.modelId, query, k });
}
