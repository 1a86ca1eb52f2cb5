import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { Kysely } from "kysely";
import type { MemoryCursor, MemoryItemFilter } from "../store/memory-repository.js";
import { nearestInChunk } from "../store/memory-search-repository.js";
import type { Database } from "../store/tables.js";
import { type Scored, TopHits } from "./top-hits.js";

/**
 * Vectors scored between two yields. SQLite scores them (sqlite-vec, in C): 2,000 take about 3 ms,
 * so a 100k-item journal is searched in about 0.1 s without holding the event loop for long.
 */
export const scanChunkSize = 2000;

/** A query vector scaled to unit length, as stored vectors are: cosine similarity is then a dot product. */
export function unitQuery(vector: readonly number[]): Float32Array {
  let squares = 0;
  for (const value of vector) squares += value * value;
  const norm = Math.sqrt(squares) || 1;
  return Float32Array.from(vector, (value) => value / norm);
}

/**
 * The agent's `k` items closest to the query among those with a vector for `modelId`: an exact scan,
 * newest first, a chunk at a time scored inside SQLite, giving way to other work between chunks.
 * Items with no positive similarity are not hits.
 */
export async function semanticScan(
  db: Kysely<Database>,
  options: MemoryItemFilter & { agentId: string; modelId: string; query: Float32Array; k: number; chunkSize?: number },
): Promise<Scored[]> {
  const top = new TopHits(options.k);
  const limit = options.chunkSize ?? scanChunkSize;
  const query = new Uint8Array(options.query.buffer, options.query.byteOffset, options.query.byteLength);
  let after: MemoryCursor | undefined;
  for (;;) {
    const chunk = await nearestInChunk(db, { ...options, query, after, limit });
    for (const hit of chunk.hits) top.offer(hit.itemKey, hit.score);
    if (chunk.next === undefined) return top.best();
    after = chunk.next;
    await yieldToEventLoop();
  }
}
