import type { TaskRow, TaskState } from "../store/automation-tables.js";
import { type RunSpec, runSpecFromJson } from "./run-spec.js";

export type { TaskState } from "../store/automation-tables.js";

/** A queued task as callers see it: what it runs, when, and how it ended. Times are ms since the epoch. */
export interface Task {
  taskId: string;
  /** "admin" or the API key id that submitted it; its runs are made as this caller. */
  owner: string;
  agentId: string | undefined;
  spec: RunSpec;
  notBefore: number;
  expiresAt: number | undefined;
  maxAttempts: number;
  parentRunId: string | undefined;
  state: TaskState;
  attempts: number;
  /** Times the watchdog put it back in the queue after a stall. */
  requeues: number;
  createdAt: number;
  startedAt: number | undefined;
  finishedAt: number | undefined;
  runId: string | undefined;
  resultText: string | undefined;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  costEstimated: boolean;
  errorKind: string | undefined;
  errorMessage: string | undefined;
}

/** States a task never leaves. */
export const finishedTaskStates: ReadonlySet<TaskState> = new Set(["succeeded", "failed", "cancelled", "expired"]);

export function taskFromRow(row: TaskRow): Task {
  const optional = <T>(value: T | null): T | undefined => value ?? undefined;
  return {
    taskId: row.task_id,
    owner: row.owner,
    agentId: optional(row.agent_id),
    spec: runSpecFromJson(row.run_spec),
    notBefore: Number(row.not_before),
    expiresAt: row.expires_at === null ? undefined : Number(row.expires_at),
    maxAttempts: row.max_attempts,
    parentRunId: optional(row.parent_run_id),
    state: row.state,
    attempts: row.attempts,
    requeues: row.requeues,
    createdAt: Number(row.created_at),
    startedAt: row.started_at === null ? undefined : Number(row.started_at),
    finishedAt: row.finished_at === null ? undefined : Number(row.finished_at),
    runId: optional(row.run_id),
    resultText: optional(row.result_text),
    inputTokens: Number(row.input_tokens),
    outputTokens: Number(row.output_tokens),
    costUsd: Number(row.cost_usd),
    costEstimated: row.cost_estimated === 1,
    errorKind: optional(row.error_kind),
    errorMessage: optional(row.error_message),
  };
}
