/**
 * An in-memory cache of finished, deterministic chat answers, keyed by model and normalised request.
 * Only answers a repeat request would get again are kept: temperature 0 (or unset, where the model
 * says that is deterministic), no tool calls, and a natural or length stop.
 */
import { createHash } from "node:crypto";
import { LRUCache } from "lru-cache";
import type { ChatRequest, FinishReason, ToolCall, Usage } from "../shared/model-types.js";

export interface CachedAnswer {
  text: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage: Usage;
  modelId: string;
  providerId: string;
}

export interface ResponseCacheOptions {
  enabled: boolean;
  ttlMs: number;
  maxEntries: number;
  /** Milliseconds on any monotonic clock; injected by tests. An entry expires once older than ttlMs. */
  now?: () => number;
}

export interface ResponseCacheStats {
  enabled: boolean;
  hits: number;
  misses: number;
  entries: number;
  maxEntries: number;
  ttlMs: number;
}

const cacheableFinishReasons: ReadonlySet<FinishReason> = new Set(["stop", "length"]);

export class ResponseCache {
  readonly #options: ResponseCacheOptions;
  readonly #entries: LRUCache<string, CachedAnswer>;
  #hits = 0;
  #misses = 0;

  constructor(options: ResponseCacheOptions) {
    this.#options = options;
    const now = options.now;
    this.#entries = new LRUCache<string, CachedAnswer>({
      max: options.maxEntries,
      ttl: options.ttlMs,
      // lru-cache otherwise memoises the clock reading for a millisecond behind a timer.
      ttlResolution: 0,
      // lru-cache reads a start time of 0 as "no TTL"; a constant shift keeps a clock starting at 0 honest.
      ...(now ? { perf: { now: () => now() + 1 } } : {}),
    });
  }

  /** SHA-256 over canonical JSON of the model id and the answer-shaping request fields. */
  keyFor(modelId: string, request: ChatRequest): string {
    // Listed field by field so that user, metadata and request ids never reach the key.
    const normalised = {
      modelId,
      messages: request.messages.map((message) => ({
        role: message.role,
        parts: message.parts,
        name: message.name,
        toolCalls: message.toolCalls,
        toolCallId: message.toolCallId,
      })),
      tools: request.tools,
      toolChoice: request.toolChoice,
      responseFormat: request.responseFormat,
      maxTokens: request.maxTokens,
      temperature: request.temperature,
      topP: request.topP,
      stop: request.stop,
    };
    return createHash("sha256").update(canonicalJson(normalised)).digest("hex");
  }

  isCacheableRequest(request: ChatRequest, unsetTemperatureIsDeterministic: boolean): boolean {
    if (!this.#options.enabled) return false;
    if (request.temperature === undefined) return unsetTemperatureIsDeterministic;
    return request.temperature === 0;
  }

  isCacheableAnswer(answer: CachedAnswer): boolean {
    return answer.toolCalls.length === 0 && cacheableFinishReasons.has(answer.finishReason);
  }

  /** A copy of the cached answer, or undefined. A disabled cache counts neither hits nor misses. */
  get(key: string): CachedAnswer | undefined {
    if (!this.#options.enabled) return undefined;
    const answer = this.#entries.get(key);
    if (answer === undefined) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    return copyAnswer(answer);
  }

  /** Whether a live entry exists, without counting a hit or a miss or refreshing its recency. */
  peek(key: string): boolean {
    return this.#options.enabled && this.#entries.has(key, { updateAgeOnHas: false });
  }

  /** Stores a copy; ignores the call when the cache is disabled or the answer is not cacheable. */
  set(key: string, answer: CachedAnswer): void {
    if (!this.#options.enabled || !this.isCacheableAnswer(answer)) return;
    this.#entries.set(key, copyAnswer(answer));
  }

  stats(): ResponseCacheStats {
    // Expired entries linger until touched; drop them so `entries` counts only servable answers.
    this.#entries.purgeStale();
    return {
      enabled: this.#options.enabled,
      hits: this.#hits,
      misses: this.#misses,
      entries: this.#entries.size,
      maxEntries: this.#options.maxEntries,
      ttlMs: this.#options.ttlMs,
    };
  }
}

function copyAnswer(answer: CachedAnswer): CachedAnswer {
  return { ...answer, toolCalls: answer.toolCalls.map((call) => ({ ...call })), usage: { ...answer.usage } };
}

/**
 * JSON with object keys sorted at every depth; undefined members are dropped as JSON.stringify does.
 * Written here because the input is plain JSON data and no direct dependency offers it.
 */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) => {
    if (member === null || typeof member !== "object" || Array.isArray(member)) return member;
    const record = member as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(record)
        .sort()
        .map((key) => [key, record[key]]),
    );
  });
}
