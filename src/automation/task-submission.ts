import { invalidRequest } from "../shared/errors.js";
import { checkRunSpec, type RunSpec } from "./run-spec.js";

/** What a caller asks to queue. Times are ms since the epoch. */
export interface TaskSubmission {
  /** Empty or unset: the daemon picks one. */
  taskId?: string | undefined;
  spec: RunSpec;
  agentId?: string | undefined;
  /** Unset: as soon as possible. */
  notBefore?: number | undefined;
  /** Unset: never expires. */
  expiresAt?: number | undefined;
  /** Unset or 0: 1. */
  maxAttempts?: number | undefined;
  parentRunId?: string | undefined;
}

export const maxTaskAttempts = 16;
const taskIdPattern = /^[A-Za-z0-9._:-]{1,64}$/;

/** A submission checked field by field, with its defaults filled in. */
export interface CheckedSubmission {
  notBefore: number;
  expiresAt: number | undefined;
  maxAttempts: number;
}

/**
 * Throws an invalid_request error naming the first field that is wrong: the task id, the input
 * (exactly one of prompt and envelope, then validated as the engine will), the times and max_attempts.
 */
export function checkSubmission(submission: TaskSubmission, now: number): CheckedSubmission {
  if (submission.taskId && !taskIdPattern.test(submission.taskId)) {
    throw invalidRequest("task_id", "must be 1-64 letters, digits, dots, colons, underscores or dashes");
  }
  checkRunSpec(submission.spec, "input", submission.agentId);
  const notBefore = submission.notBefore ?? now;
  if (!Number.isFinite(notBefore)) throw invalidRequest("not_before", "must be a valid instant");
  const expiresAt = submission.expiresAt;
  if (expiresAt !== undefined) {
    if (!Number.isFinite(expiresAt)) throw invalidRequest("expires_at", "must be a valid instant");
    if (expiresAt <= Math.max(notBefore, now)) {
      throw invalidRequest("expires_at", submission.notBefore === undefined ? "must be in the future" : "must be after not_before");
    }
  }
  const maxAttempts = submission.maxAttempts || 1;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > maxTaskAttempts) {
    throw invalidRequest("max_attempts", `must be between 1 and ${maxTaskAttempts}`);
  }
  return { notBefore, expiresAt, maxAttempts };
}
