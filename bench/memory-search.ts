// Memory search at 1k and 100k items (issue 13: "measure search at 100k items in the bench").
// Standalone, like budget-admission.ts: a real SQLite store in a temp dir per size, one agent's
// journal filled with one INSERT … SELECT over a recursive CTE (the FTS5 index kept by its triggers)
// and a unit vector per item, then searches timed one after another through the journal's own search
// path (runSearch): lexical, semantic (exact chunked scan) and hybrid. The query's embedding is given,
// not an embeddings run, so the figures are the search's own. The event loop's longest stall during
// the semantic searches shows that the scan gives way between chunks.
//
// Run alone: npx tsx bench/memory-search.ts [sizes…]   (default 1000 100000)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { sql } from "kysely";
import { runSearch, type SearchMode } from "../src/memory/memory-search.js";
import { putVectors } from "../src/store/memory-repository.js";
import { openSqliteStore, type Store } from "../src/store/open-store.js";
import { round, roundSummary, type Summary, summarize } from "./stats.js";

export interface MemorySearchCase {
  items: number;
  dimensions: number;
  fillSeconds: number;
  /** Per mode: one search's wall time, milliseconds. */
  searchMs: Record<SearchMode, Summary>;
  /** The event loop's longest delay while semantic searches ran, milliseconds. */
  maxEventLoopStallMs: number;
}

const agentId = "bench-agent";
const modelId = "bench-embed";
const words = ["harbour", "river", "supplies", "door", "deploy", "tuesday", "water", "spring", "signal", "engine", "garden", "ledger"];

/** Times `searches` searches per mode over a journal of `items` items with `dimensions`-wide vectors. */
export async function measureMemorySearch(options: { items: number; dimensions?: number; searches?: number }): Promise<MemorySearchCase> {
  const dimensions = options.dimensions ?? 256;
  const searches = options.searches ?? 50;
  const dir = mkdtempSync(join(tmpdir(), "palyra-bench-memory-"));
  const store = await openSqliteStore(join(dir, "palyra.sqlite"));
  try {
    const fillStarted = performance.now();
    await fill(store, options.items, dimensions);
    const fillSeconds = (performance.now() - fillStarted) / 1000;
    const query = randomVector(dimensions, 7);
    const searchMs = {} as Record<SearchMode, Summary>;
    const stalls = monitorEventLoopDelay({ resolution: 1 });
    for (const mode of ["lexical", "semantic", "hybrid"] as const) {
      if (mode === "semantic") stalls.enable();
      const samples: number[] = [];
      for (let index = 0; index < searches + 3; index++) {
        const started = performance.now();
        await runSearch(store.db, {
          agentId,
          query: `${words[index % words.length]} note`,
          k: 10,
          mode,
          modelId,
          liveAt: Date.now(),
          embedQuery: async () => query,
        });
        // The first three warm the statement cache and the page cache.
        if (index >= 3) samples.push(performance.now() - started);
      }
      if (mode === "semantic") stalls.disable();
      searchMs[mode] = roundSummary(summarize(samples));
    }
    return { items: options.items, dimensions, fillSeconds: round(fillSeconds), searchMs, maxEventLoopStallMs: round(stalls.max / 1e6) };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function fill(store: Store, items: number, dimensions: number): Promise<void> {
  const wordList = sql.join(words.map((word) => sql.lit(word)));
  await sql`
    with recursive n(i) as (select 1 union all select i + 1 from n where i < ${sql.lit(items)})
    insert into memory_items (memory_id, agent_id, session_id, source, run_id, text, content_hash, tags, bytes, expires_at, created_at)
    select 'mem_bench_' || i, ${agentId}, null, 'manual', null,
      'note ' || i || ' about the ' || json_extract(json_array(${wordList}), '$[' || (i % ${sql.lit(words.length)}) || ']'),
      'hash' || i, '[]', 40, null, 1700000000000 + i
    from n`.execute(store.db);
  const batch = 2000;
  for (let start = 1; start <= items; start += batch) {
    const rows = [];
    for (let i = start; i < Math.min(items + 1, start + batch); i++) {
      rows.push({ memoryId: `mem_bench_${i}`, agentId, modelId, vector: randomVector(dimensions, i), embeddedAt: 0 });
    }
    await putVectors(store.db, rows);
  }
}

/** A reproducible pseudo-random vector (xorshift32). */
function randomVector(dimensions: number, seed: number): number[] {
  let state = seed * 2654435761 || 1;
  return Array.from({ length: dimensions }, () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state | 0) / 2 ** 31;
  });
}

if (process.argv[1]?.endsWith("memory-search.ts")) {
  const sizes = process.argv.slice(2).map(Number);
  for (const items of sizes.length > 0 ? sizes : [1000, 100_000]) {
    console.log(JSON.stringify(await measureMemorySearch({ items, searches: items > 10_000 ? 10 : 50 })));
  }
}
