import type { Generated, Insertable, Selectable } from "kysely";

// Row types of the memory journal (migration 0011). Times are milliseconds since the epoch.

export type MemorySource = "manual" | "import" | "run";

export interface MemoryItemsTable {
  item_key: Generated<number>;
  memory_id: string;
  agent_id: string;
  session_id: string | null;
  source: MemorySource;
  run_id: string | null;
  text: string;
  content_hash: string;
  /** JSON array of tags. */
  tags: string;
  bytes: number;
  expires_at: number | null;
  created_at: number;
}

export interface MemoryVectorsTable {
  memory_id: string;
  model_id: string;
  agent_id: string;
  dimensions: number;
  /** Float32 little-endian, unit length. */
  vector: Uint8Array;
  embedded_at: number;
}

export type MemoryItemRow = Selectable<MemoryItemsTable>;
export type NewMemoryItemRow = Insertable<MemoryItemsTable>;
export type MemoryVectorRow = Selectable<MemoryVectorsTable>;
