import type { Kysely } from "kysely";
import type { RunEngine } from "../runs/run-engine.js";
import { GatewayError, toGatewayError } from "../shared/errors.js";
import { itemsAwaitingEmbedding, putVectors } from "../store/memory-repository.js";
import type { Database } from "../store/tables.js";
import { memorySystemCaller } from "./memory-caller.js";
import { checkEmbedding } from "./vector-blob.js";

export interface EmbeddingsBackfillDeps {
  db: Kysely<Database>;
  engine: Pick<RunEngine, "embed">;
  now: () => number;
  /** The current embeddings model (default_embeddings_model_id): items without its vector are embedded. */
  /** Read at each run: `palyra models set-embeddings` changes it without a restart. */
  embeddingsModelId: () => string | undefined;
  /** [memory] backfill_batch_size: texts per embeddings call. */
  batchSize: number;
  /** Batches one tick embeds at most (default 16), so a long backlog is spread over ticks. */
  maxBatchesPerTick?: number;
}

/** What one backfill tick did; `skippedReason` when it did nothing on purpose. */
export interface BackfillReport {
  message: string;
  skippedReason?: string;
  embedded: number;
  batches: number;
  usage: { inputTokens: number; outputTokens: number };
  costUsd: number;
  costEstimated: boolean;
}

/** How often a tick waiting on an embeddings call reports progress (the heartbeat is throttled further). */
const keepAliveMs = 1000;

/** The most ticks a failing backfill sits out between attempts (2^n - 1 after n failures, up to this). */
const maxTicksSkipped = 15;

/**
 * The embeddings backfill system job: embeds items that have no vector for the current embeddings
 * model, a batch per embeddings call, through the run engine as `system:memory` (the real provider
 * with its retries and failover; each batch a run in the ledger, admitted by budgets). A refused
 * batch (budget) ends the tick as skipped, reason budget_exceeded. A failed batch fails the tick and
 * is retried on a later one: the next after one failure, then sitting out 1, 3, 7 … ticks (kept in
 * memory; a restart tries at once). Changing the model re-embeds every item over the next ticks.
 */
export class EmbeddingsBackfill {
  private failures = 0;
  private ticksToSkip = 0;

  constructor(private readonly deps: EmbeddingsBackfillDeps) {}

  async run(signal: AbortSignal, progress: () => void = () => {}): Promise<BackfillReport> {
    const report: BackfillReport = { message: "", embedded: 0, batches: 0, usage: { inputTokens: 0, outputTokens: 0 }, costUsd: 0, costEstimated: false };
    const modelId = this.deps.embeddingsModelId();
    if (modelId === undefined)
      return { ...report, skippedReason: "no_embeddings_model", message: "no embeddings model is configured (default_embeddings_model_id)" };
    if (this.ticksToSkip > 0) {
      this.ticksToSkip -= 1;
      const message = `backing off after ${this.failures} failed ticks in a row; next attempt in ${this.ticksToSkip + 1} tick(s)`;
      return { ...report, skippedReason: "backoff", message };
    }
    const maxBatches = this.deps.maxBatchesPerTick ?? 16;
    while (report.batches < maxBatches) {
      signal.throwIfAborted();
      const items = await itemsAwaitingEmbedding(this.deps.db, modelId, this.deps.batchSize);
      if (items.length === 0) break;
      // The call may outlast the stall threshold through its retries: the tick shows progress while
      // it waits, and the call's run is watched as a run (a stalled one is cancelled, failing the tick).
      const keepAlive = setInterval(progress, keepAliveMs);
      keepAlive.unref();
      try {
        const answer = await this.deps.engine
          .embed({ model: modelId, inputs: items.map((item) => item.text), clientRequestId: "system:memory-backfill" }, memorySystemCaller, signal)
          .finally(() => clearInterval(keepAlive));
        const vectors = answer.result.vectors;
        if (vectors.length !== items.length) {
          throw new GatewayError("malformed_response", `the embeddings upstream returned ${vectors.length} vectors for ${items.length} texts`);
        }
        const embeddedAt = this.deps.now();
        await putVectors(
          this.deps.db,
          items.map((item, index) => {
            const vector = vectors[index] ?? [];
            checkEmbedding(vector);
            return { memoryId: item.memoryId, agentId: item.agentId, modelId, vector, embeddedAt };
          }),
        );
        report.batches += 1;
        report.embedded += items.length;
        report.usage.inputTokens += answer.result.usage.inputTokens;
        report.costUsd += answer.cost.costUsd;
        report.costEstimated ||= answer.cost.costEstimated;
        progress();
      } catch (caught) {
        const error = toGatewayError(caught);
        const done = `embedded ${report.embedded} items in ${report.batches} batches before`;
        if (error.kind === "budget_exceeded") {
          // Not a failure: the budget decides, and the next tick asks it again.
          return { ...report, skippedReason: "budget_exceeded", message: `${error.message} (${done})` };
        }
        if (error.kind === "cancelled") throw error;
        this.failures += 1;
        this.ticksToSkip = Math.min(maxTicksSkipped, 2 ** (this.failures - 1) - 1);
        throw new GatewayError(error.kind, `batch ${report.batches + 1} of ${items.length} items failed: ${error.message} (${done}; retried on a later tick)`);
      }
      if (items.length < this.deps.batchSize) break;
    }
    this.failures = 0;
    report.message = `embedded ${report.embedded} items in ${report.batches} batches with ${modelId}`;
    return report;
  }
}
