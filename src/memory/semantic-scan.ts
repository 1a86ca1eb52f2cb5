import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { Kysely } from "kysely";
import type { MemoryCursor, MemoryItemFilter } from "../store/memory-repository.js";
import { vectorChunk } from "../store/memory-search-repository.js";
import type { Database } from "../store/tables.js";
import { type Scored, TopHits } from "./top-hits.js";

/**
 * Vectors read and scored between two yields. Reading a row's blob costs SQLite and better-sqlite3
 * about 5-10 µs (256 dimensions), so 512 keep each chunk to a few milliseconds.
 */
export const scanChunkSize = 512;

/** A query vector scaled to unit length, as stored vectors are: cosine similarity is then a dot product. */
export function unitQuery(vector: readonly number[]): Float32Array {
  let squares = 0;
  for (const value of vector) squares += value * value;
  const norm = Math.sqrt(squares) || 1;
  return Float32Array.from(vector, (value) => value / norm);
}

/** Cosine similarity of a unit query and a stored unit vector (Float32 little-endian bytes); undefined when their dimensions differ. */
export function cosine(query: Float32Array, stored: Uint8Array): number | undefined {
  if (stored.byteLength !== query.length * 4) return undefined;
  const vector = floatsOf(stored);
  let dot = 0;
  for (let index = 0; index < query.length; index++) dot += (query[index] as number) * (vector[index] as number);
  return dot;
}

/**
 * The agent's `k` items closest to the query among those with a vector for `modelId`: an exact scan,
 * newest first, a chunk at a time, giving way to other work between chunks so a 100k-item journal
 * never holds the event loop for long. Items with no positive similarity are not hits.
 */
export async function semanticScan(
  db: Kysely<Database>,
  options: MemoryItemFilter & { agentId: string; modelId: string; query: Float32Array; k: number; chunkSize?: number },
): Promise<Scored[]> {
  const top = new TopHits(options.k);
  const limit = options.chunkSize ?? scanChunkSize;
  let after: MemoryCursor | undefined;
  for (;;) {
    const chunk = await vectorChunk(db, { ...options, after, limit });
    for (const candidate of chunk) {
      const score = cosine(options.query, candidate.vector);
      if (score !== undefined && score > 0) top.offer(candidate.itemKey, score);
    }
    const last = chunk.at(-1);
    if (chunk.length < limit || last === undefined) return top.best();
    after = { createdAt: last.createdAt, itemKey: last.itemKey };
    await yieldToEventLoop();
  }
}

/** The bytes as Float32 values, without a copy when they are aligned (little-endian hosts; Node runs on those). */
function floatsOf(bytes: Uint8Array): Float32Array {
  if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  return new Float32Array(bytes.slice().buffer);
}
