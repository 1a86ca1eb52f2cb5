import type { MemoryItemRow, MemorySource } from "../store/memory-tables.js";

/** A journal item as the memory core hands it out (rpc/convert/memory-to-proto.ts turns it into a message). */
export interface MemoryItem {
  memoryId: string;
  agentId: string;
  sessionId: string | undefined;
  source: MemorySource;
  runId: string | undefined;
  text: string;
  tags: string[];
  bytes: number;
  createdAt: number;
  expiresAt: number | undefined;
  /** The embeddings model of its vector for the current model; undefined while it waits for one. */
  embeddingModelId: string | undefined;
}

/** The item of a row; `embeddedWith` is the current model when the item has a vector for it. */
export function itemOf(row: MemoryItemRow, embeddedWith: string | undefined): MemoryItem {
  return {
    memoryId: row.memory_id,
    agentId: row.agent_id,
    sessionId: row.session_id ?? undefined,
    source: row.source,
    runId: row.run_id ?? undefined,
    text: row.text,
    tags: parseTags(row.tags),
    bytes: row.bytes,
    createdAt: row.created_at,
    expiresAt: row.expires_at ?? undefined,
    embeddingModelId: embeddedWith,
  };
}

function parseTags(json: string): string[] {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter((tag): tag is string => typeof tag === "string") : [];
  } catch {
    return [];
  }
}
