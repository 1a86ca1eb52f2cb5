import type { Kysely } from "kysely";
import type { MemoryItemFilter } from "../store/memory-repository.js";
import { ftsExpression, lexicalMatches } from "../store/memory-search-repository.js";
import type { Database } from "../store/tables.js";
import { combineHybrid, type RankedHit } from "./hybrid-score.js";
import { semanticScan, unitQuery } from "./semantic-scan.js";

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

async function lexical(db: Kysely<Database>, plan: SearchPlan, limit: number) {
  const expression = ftsExpression(plan.query);
  if (expression === undefined) return [];
  return lexicalMatches(db, { ...plan, expression, limit });
}

async function semantic(db: Kysely<Database>, plan: SearchPlan, k: number) {
  if (plan.modelId === undefined) return [];
  const query = unitQuery(await plan.embedQuery());
  return semanticScan(db, { ...plan, modelId: plan.modelId, query, k });
}
