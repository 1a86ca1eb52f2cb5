/**
 * Optimal string alignment distance: Levenshtein plus swapping two neighbours, so "lgo_level" is one
 * edit from "log_level". Written here because no installed package offers it, and twenty lines beat a
 * new dependency for comparing a handful of short key names.
 */
export function editDistance(a: string, b: string): number {
  // rows[i][j]: edits to turn the first i characters of a into the first j characters of b.
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => Math.max(i, j)));
  const at = (i: number, j: number) => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const substitution = at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1);
      const swap = i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1] ? at(i - 2, j - 2) + 1 : Number.POSITIVE_INFINITY;
      (rows[i] as number[])[j] = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, substitution, swap);
    }
  }
  return at(a.length, b.length);
}

/**
 * The candidate an unknown key most likely meant, or undefined when none is close. Close means at most
 * two edits and fewer than half the key's length (so "id" does not "mean" "kind"), ignoring case; failing
 * that, the one candidate that extends the key by whole words ("failover" -> "failover_enabled").
 */
export function closestKey(unknown: string, candidates: readonly string[]): string | undefined {
  const wanted = unknown.toLowerCase();
  const limit = Math.min(2, Math.floor((wanted.length - 1) / 2));
  let best: { key: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(wanted, candidate.toLowerCase());
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { key: candidate, distance };
  }
  if (best !== undefined) return best.key;
  const extensions = candidates.filter((candidate) => candidate.toLowerCase().startsWith(`${wanted}_`));
  return extensions.length === 1 ? extensions[0] : undefined;
}
