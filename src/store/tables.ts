import type { Generated, Insertable, Selectable, Updateable } from "kysely";

/** Row types of every table; columns are portable between SQLite and PostgreSQL. */
export interface Database {
  runs: RunsTable;
}

export type RunStatus = "running" | "succeeded" | "failed" | "cancelled";

/** What a run did: a chat (RunStream or /v1/chat/completions), an embeddings batch, a transcription. */
export type RunKind = "chat" | "embeddings" | "audio_transcription";

export interface RunsTable {
  run_id: string;
  /** Milliseconds since the epoch. */
  created_at: number;
  finished_at: number | null;
  status: RunStatus;
  run_kind: Generated<RunKind>;
  caller_id: string;
  agent_id: string | null;
  session_id: string | null;
  user_id: string | null;
  client_request_id: string | null;
  requested_model: string | null;
  model_id: string;
  provider_id: string;
  upstream_model: string;
  finish_reason: string | null;
  input_tokens: Generated<number>;
  output_tokens: Generated<number>;
  cached_input_tokens: Generated<number>;
  cache_write_tokens: Generated<number>;
  /** 1 when the gateway counted the tokens because the upstream reported none. */
  usage_estimated: Generated<number>;
  attempts: Generated<number>;
  /** 1 when the answer came from the response cache (no upstream call). */
  cache_hit: Generated<number>;
  first_output_ms: number | null;
  duration_ms: number | null;
  error_kind: string | null;
  error_message: string | null;
}

export type RunRow = Selectable<RunsTable>;
export type NewRunRow = Insertable<RunsTable>;
export type RunRowUpdate = Updateable<RunsTable>;
