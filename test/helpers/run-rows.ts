import type { NewRunRow } from "../../src/store/tables.js";

/** A ledger row of a chat run still running, as admission records it; tests override what they look at. */
export function runningRunRow(overrides: Partial<NewRunRow> & { run_id: string }): NewRunRow {
  return {
    run_kind: "chat",
    created_at: 1,
    finished_at: null,
    status: "running",
    caller_id: "admin",
    agent_id: null,
    session_id: null,
    user_id: null,
    client_request_id: null,
    requested_model: null,
    model_id: "m",
    provider_id: "p",
    upstream_model: "m",
    finish_reason: null,
    first_output_ms: null,
    duration_ms: null,
    error_kind: null,
    error_message: null,
    routing_mode: null,
    recommended_model: null,
    complexity: null,
    dry_run_change: null,
    ...overrides,
  };
}
