import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { Kysely } from "kysely";
import {
  agentsOverCaps,
  deleteItemsWithVectors,
  deleteUnusedVectors,
  expiredItemIds,
  type MemoryTotals,
  memoryTotals,
  oldestItemsOf,
  optimizeMemoryStore,
} from "../store/memory-maintenance-repository.js";
import type { Database } from "../store/tables.js";

export interface MemoryMaintenanceDeps {
  db: Kysely<Database>;
  now: () => number;
  /** [memory] max_items / max_bytes: per agent, the oldest items beyond these are removed. */
  maxItems: number;
  maxBytes: number;
  /** [memory] vacuum_interval_ms: the full-text index is optimised and the store vacuumed this often. */
  vacuumIntervalMs: number;
  /** The current embeddings model: vectors of another model are no longer read, and are removed. */
  /** Read at each run: vectors of any other model are removed. */
  embeddingsModelId: () => string | undefined;
  /** Rows one statement deletes (default 500): small enough that no statement holds the event loop long. */
  batchSize?: number;
}

/** What one maintenance pass did. */
export interface MaintenanceReport {
  before: MemoryTotals;
  after: MemoryTotals;
  expired: number;
  capped: number;
  unusedVectors: number;
  optimized: boolean;
  message: string;
}

/**
 * The memory maintenance system job: deletes expired items, then caps each agent at max_items and
 * max_bytes (oldest first), removes vectors nothing reads, and on its own slower schedule optimises
 * the store. Works in batches, giving way to other callers between them, and stops early when aborted.
 * The last optimisation time is kept in memory: after a restart the first pass optimises.
 */
export class MemoryMaintenance {
  private lastOptimizedAt = Number.NEGATIVE_INFINITY;
  private readonly batchSize: number;

  constructor(private readonly deps: MemoryMaintenanceDeps) {
    this.batchSize = deps.batchSize ?? 500;
  }

  async run(signal: AbortSignal, progress: () => void = () => {}): Promise<MaintenanceReport> {
    const { db } = this.deps;
    const step = async () => {
      signal.throwIfAborted();
      progress();
      await yieldToEventLoop();
    };
    const before = await memoryTotals(db);
    const expired = await this.deleteExpired(step);
    const capped = await this.capAgents(step);
    const unusedVectors = await this.deleteUnusedVectors(step);
    const optimized = await this.optimizeWhenDue();
    const after = await memoryTotals(db);
    const message = [
      `before: ${describe(before)}`,
      `expired ${expired}, over the caps ${capped} (max_items ${this.deps.maxItems}, max_bytes ${this.deps.maxBytes}), unused vectors ${unusedVectors}`,
      `after: ${describe(after)}`,
      ...(optimized ? ["optimised the full-text index and the store"] : []),
    ].join("; ");
    return { before, after, expired, capped, unusedVectors, optimized, message };
  }

  private async deleteExpired(step: () => Promise<void>): Promise<number> {
    let deleted = 0;
    for (;;) {
      const ids = await expiredItemIds(this.deps.db, this.deps.now(), this.batchSize);
      deleted += await deleteItemsWithVectors(this.deps.db, ids);
      if (ids.length < this.batchSize) return deleted;
      await step();
    }
  }

  /** Per agent over a cap: deletes its oldest items until it holds at most max_items and max_bytes. */
  private async capAgents(step: () => Promise<void>): Promise<number> {
    const { db, maxItems, maxBytes } = this.deps;
    let deleted = 0;
    for (const agent of await agentsOverCaps(db, maxItems, maxBytes)) {
      let { items, bytes } = agent;
      while (items > maxItems || bytes > maxBytes) {
        const ids: string[] = [];
        for (const oldest of await oldestItemsOf(db, agent.agentId, this.batchSize)) {
          if (items <= maxItems && bytes <= maxBytes) break;
          ids.push(oldest.memoryId);
          items -= 1;
          bytes -= oldest.bytes;
        }
        if (ids.length === 0) break;
        deleted += await deleteItemsWithVectors(db, ids);
        await step();
      }
    }
    return deleted;
  }

  private async deleteUnusedVectors(step: () => Promise<void>): Promise<number> {
    let deleted = 0;
    for (;;) {
      const batch = await deleteUnusedVectors(this.deps.db, this.deps.embeddingsModelId(), this.batchSize);
      deleted += batch;
      if (batch < this.batchSize) return deleted;
      await step();
    }
  }

  private async optimizeWhenDue(): Promise<boolean> {
    const now = this.deps.now();
    if (now - this.lastOptimizedAt < this.deps.vacuumIntervalMs) return false;
    this.lastOptimizedAt = now;
    return optimizeMemoryStore(this.deps.db);
  }
}

function describe(totals: MemoryTotals): string {
  return `${totals.items} items, ${totals.bytes} bytes, ${totals.vectors} vectors`;
}
