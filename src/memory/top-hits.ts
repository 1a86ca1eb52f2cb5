/** A scored candidate: an item's key and how close it is (higher is closer). */
export interface Scored {
  itemKey: number;
  score: number;
}

/**
 * The best `k` of a stream of scored candidates, kept sorted best first. k is at most a few hundred,
 * so an insertion into a sorted array beats a heap's bookkeeping; most candidates fail the first compare.
 */
export class TopHits {
  private readonly hits: Scored[] = [];

  constructor(private readonly k: number) {}

  offer(itemKey: number, score: number): void {
    const hits = this.hits;
    if (hits.length === this.k && score <= (hits[hits.length - 1]?.score ?? Number.NEGATIVE_INFINITY)) return;
    let index = hits.length;
    while (index > 0 && (hits[index - 1]?.score ?? 0) < score) index--;
    hits.splice(index, 0, { itemKey, score });
    if (hits.length > this.k) hits.pop();
  }

  best(): Scored[] {
    return [...this.hits];
  }
}
