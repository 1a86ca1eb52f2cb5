import type { Scored } from "./top-hits.js";

export type MatchedBy = "lexical" | "semantic" | "hybrid";

export interface RankedHit {
  itemKey: number;
  score: number;
  matchedBy: MatchedBy;
}

/** How much the words count against the meaning in a hybrid score (the rest is the meaning's). */
export const lexicalWeight = 0.5;

/**
 * Hybrid ranking: each side's scores are normalised to 0..1 (bm25 divided by the best bm25 of the
 * query, so the best word match is 1; cosine similarity clamped at 0, already on an absolute scale)
 * and combined as a weighted sum. An item found by one side only gets 0 from the other, so one
 * found by both outranks one found equally well by either; `matchedBy` says which side found it.
 */
export function combineHybrid(lexical: readonly Scored[], semantic: readonly Scored[], k: number): RankedHit[] {
  const bestLexical = Math.max(0, ...lexical.map((hit) => hit.score));
  const combined = new Map<number, { lexical?: number; semantic?: number }>();
  for (const hit of lexical) combined.set(hit.itemKey, { lexical: bestLexical > 0 ? hit.score / bestLexical : 1 });
  for (const hit of semantic) {
    const entry = combined.get(hit.itemKey) ?? {};
    entry.semantic = Math.min(1, Math.max(0, hit.score));
    combined.set(hit.itemKey, entry);
  }
  const ranked = [...combined].map(([itemKey, parts]): RankedHit => {
    const score = lexicalWeight * (parts.lexical ?? 0) + (1 - lexicalWeight) * (parts.semantic ?? 0);
    const matchedBy = parts.lexical === undefined ? "semantic" : parts.semantic === undefined ? "lexical" : "hybrid";
    return { itemKey, score, matchedBy };
  });
  // Ties keep the newer item (the larger key) first, so the order is stable.
  return ranked.sort((a, b) => b.score - a.score || b.itemKey - a.itemKey).slice(0, k);
}
