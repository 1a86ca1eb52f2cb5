import { createHash, randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { MemoryConfig } from "../config/schema.js";
import type { Caller } from "../identity/caller.js";
import type { UnaryRunResult } from "../runs/run-engine.js";
import type { EmbedInput } from "../runs/unary-input.js";
import { GatewayError, invalidRequest } from "../shared/errors.js";
import type { EmbeddingsResult } from "../shared/model-types.js";
import {
  countAwaitingEmbedding,
  deleteMemoryItem,
  findMemoryItem,
  findMemoryItemsByKey,
  insertMemoryItem,
  itemsEmbeddedWith,
  listMemoryItems,
  memoryTotals,
} from "../store/memory-repository.js";
import type { MemoryItemRow, MemorySource } from "../store/memory-tables.js";
import type { Database } from "../store/tables.js";
import type { MatchedBy } from "./hybrid-score.js";
import { agentFor, agentOrAll, mayReach, memoryNotFound } from "./memory-access.js";
import { itemOf, type MemoryItem } from "./memory-item.js";
import { checkK, checkOptionalId, checkPageSize, checkTags, maxQueryChars, maxTtlMs } from "./memory-limits.js";
import { runSearch, type SearchMode } from "./memory-search.js";
import type { MemoryStatus, SystemJobsStatus } from "./memory-status.js";
import { decodePageToken, encodePageToken } from "./page-token.js";

/** What search needs of the run engine: an embeddings run, metered and budgeted like any other. */
export interface QueryEmbedder {
  embed(input: EmbedInput, caller: Caller, signal: AbortSignal): Promise<UnaryRunResult<EmbeddingsResult>>;
}

export interface MemoryJournalDeps {
  db: Kysely<Database>;
  config: MemoryConfig;
  embedder: QueryEmbedder;
  /** [model_provider] default_embeddings_model_id as the registry resolved it; undefined without one. */
  embeddingsModelId: () => string | undefined;
  /** The system jobs' schedules and outcomes, once something runs them; status leaves them unset otherwise. */
  systemJobs?: () => Promise<SystemJobsStatus>;
  now?: () => number;
  newId?: () => string;
}

export interface RetainRequest {
  agentId: string;
  sessionId: string;
  text: string;
  tags: readonly string[];
  ttlMs: number;
  /** manual (default) or import; run is the daemon's own. */
  source: MemorySource | undefined;
}

export interface SearchRequest {
  agentId: string;
  query: string;
  k: number;
  mode: SearchMode | undefined;
  tags: readonly string[];
  sessionId: string;
}

export interface SearchHit {
  item: MemoryItem;
  score: number;
  matchedBy: MatchedBy;
}

export interface ListRequest {
  agentId: string;
  sessionId: string;
  tags: readonly string[];
  pageSize: number;
  pageToken: string;
}

/** A captured run: its last user message and answer, already joined into one text. */
export interface CapturedRun {
  agentId: string;
  sessionId: string | undefined;
  runId: string;
  text: string;
}

/**
 * MemoryService's core: agents' journals, retained, searched by words and meaning, listed and
 * deleted, as the caller may reach them (memory-access.ts). An agent keeps one item per text.
 */
export class MemoryJournal {
  private readonly now: () => number;
  private readonly newId: () => string;

  constructor(private readonly deps: MemoryJournalDeps) {
    this.now = deps.now ?? Date.now;
    this.newId = deps.newId ?? (() => `mem_${randomUUID().replaceAll("-", "").slice(0, 20)}`);
  }

  async retain(caller: Caller, request: RetainRequest): Promise<{ item: MemoryItem; created: boolean }> {
    const agentId = agentFor(caller, request.agentId);
    const sessionId = checkOptionalId("session_id", request.sessionId);
    const text = this.checkText(request.text);
    const tags = checkTags(request.tags);
    if (!Number.isSafeInteger(request.ttlMs) || request.ttlMs < 0 || request.ttlMs > maxTtlMs) {
      throw invalidRequest("ttl_ms", `must be between 0 (keep) and ${maxTtlMs} (ten years)`);
    }
    const source = request.source ?? "manual";
    if (source === "run") throw invalidRequest("source", "must be manual or import (run is for items the daemon captures)");
    const now = this.now();
    return this.store({ agentId, sessionId, runId: undefined, text, tags, source, expiresAt: request.ttlMs > 0 ? now + request.ttlMs : null }, now);
  }

  /** Stores a captured run (run capture); its text is clipped to [memory] max_item_bytes by the capture. */
  async retainCaptured(run: CapturedRun): Promise<{ item: MemoryItem; created: boolean }> {
    return this.store({ ...run, tags: [], source: "run", expiresAt: null }, this.now());
  }

  async search(caller: Caller, request: SearchRequest, signal: AbortSignal): Promise<{ hits: SearchHit[]; mode: SearchMode }> {
    const agentId = agentFor(caller, request.agentId);
    if (request.query.trim().length === 0) throw invalidRequest("query", "is required");
    if (request.query.length > maxQueryChars) throw invalidRequest("query", `must be at most ${maxQueryChars} characters`);
    const k = checkK(request.k);
    const mode = request.mode ?? "hybrid";
    const modelId = this.deps.embeddingsModelId();
    if (mode === "semantic" && modelId === undefined) {
      throw invalidRequest("mode", "semantic search needs an embeddings model ([model_provider] default_embeddings_model_id)");
    }
    const embedQuery = async () => {
      const run = await this.deps.embedder.embed({ model: modelId, inputs: [request.query], agentId }, caller, signal);
      const vector = run.result.vectors[0];
      if (vector === undefined) throw new GatewayError("malformed_response", "the embeddings model returned no vector for the query");
      return vector;
    };
    const filter = { sessionId: checkOptionalId("session_id", request.sessionId), tags: checkTags(request.tags), liveAt: this.now() };
    const ranked = await runSearch(this.deps.db, { ...filter, agentId, query: request.query, k, mode, modelId, embedQuery });
    const rows = new Map(
      (
        await findMemoryItemsByKey(
          this.deps.db,
          ranked.map((hit) => hit.itemKey),
        )
      ).map((row) => [row.item_key, row]),
    );
    const items = await this.itemsOf([...rows.values()]);
    const hits = ranked.flatMap((hit) => {
      const item = items.get(hit.itemKey);
      return item === undefined ? [] : [{ item, score: hit.score, matchedBy: hit.matchedBy }];
    });
    return { hits, mode };
  }

  async get(caller: Caller, memoryId: string): Promise<MemoryItem> {
    const row = await this.reachable(caller, memoryId);
    return (await this.itemsOf([row])).get(row.item_key) as MemoryItem;
  }

  async delete(caller: Caller, memoryId: string): Promise<boolean> {
    await this.reachable(caller, memoryId);
    return deleteMemoryItem(this.deps.db, memoryId);
  }

  /** Newest first; an empty agent_id lists every agent's for the admin. */
  async list(caller: Caller, request: ListRequest): Promise<{ items: MemoryItem[]; nextPageToken: string }> {
    const agentId = agentOrAll(caller, request.agentId);
    const limit = checkPageSize(request.pageSize);
    const rows = await listMemoryItems(this.deps.db, {
      agentId,
      sessionId: checkOptionalId("session_id", request.sessionId),
      tags: checkTags(request.tags),
      liveAt: this.now(),
      after: decodePageToken(request.pageToken),
      limit,
    });
    const items = await this.itemsOf(rows);
    const last = rows.at(-1);
    const nextPageToken = rows.length === limit && last ? encodePageToken({ createdAt: last.created_at, itemKey: last.item_key }) : "";
    return { items: rows.map((row) => items.get(row.item_key) as MemoryItem), nextPageToken };
  }

  /** One agent's figures, or every agent's for the admin; the system jobs' when something runs them. */
  async status(caller: Caller, requestedAgentId: string): Promise<MemoryStatus> {
    const agentId = agentOrAll(caller, requestedAgentId);
    const modelId = this.deps.embeddingsModelId();
    const totals = await memoryTotals(this.deps.db, agentId);
    const awaiting = modelId === undefined ? totals.items : await countAwaitingEmbedding(this.deps.db, modelId, agentId);
    return { ...totals, awaitingEmbedding: awaiting, embeddingModelId: modelId, ...(await this.deps.systemJobs?.()) };
  }

  private checkText(text: string): string {
    if (text.trim().length === 0) throw invalidRequest("text", "is required");
    const bytes = Buffer.byteLength(text);
    const max = this.deps.config.max_item_bytes;
    if (bytes > max) throw invalidRequest("text", `is ${bytes} bytes; at most ${max} are allowed ([memory] max_item_bytes)`);
    return text;
  }

  private async store(
    fields: {
      agentId: string;
      sessionId: string | undefined;
      runId: string | undefined;
      text: string;
      tags: string[];
      source: MemorySource;
      expiresAt: number | null;
    },
    now: number,
  ): Promise<{ item: MemoryItem; created: boolean }> {
    const { item: row, created } = await insertMemoryItem(this.deps.db, {
      memory_id: this.newId(),
      agent_id: fields.agentId,
      session_id: fields.sessionId ?? null,
      source: fields.source,
      run_id: fields.runId ?? null,
      text: fields.text,
      content_hash: createHash("sha256").update(fields.text).digest("hex"),
      tags: JSON.stringify(fields.tags),
      bytes: Buffer.byteLength(fields.text),
      expires_at: fields.expiresAt,
      created_at: now,
    });
    return { item: (await this.itemsOf([row])).get(row.item_key) as MemoryItem, created };
  }

  /** An item the caller may reach; not_found for a missing one and for another agent's. */
  private async reachable(caller: Caller, memoryId: string): Promise<MemoryItemRow> {
    if (!memoryId) throw invalidRequest("memory_id", "is required");
    const row = await findMemoryItem(this.deps.db, memoryId);
    if (row === undefined || !mayReach(caller, row.agent_id) || (row.expires_at !== null && row.expires_at <= this.now())) throw memoryNotFound(memoryId);
    return row;
  }

  /** Items by key, each with the current model when it has a vector for it. */
  private async itemsOf(rows: readonly MemoryItemRow[]): Promise<Map<number, MemoryItem>> {
    const modelId = this.deps.embeddingsModelId();
    const embedded =
      modelId === undefined
        ? new Set<string>()
        : await itemsEmbeddedWith(
            this.deps.db,
            rows.map((row) => row.memory_id),
            modelId,
          );
    return new Map(rows.map((row) => [row.item_key, itemOf(row, embedded.has(row.memory_id) ? modelId : undefined)]));
  }
}
