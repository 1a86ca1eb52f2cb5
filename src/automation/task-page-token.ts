import { invalidRequest } from "../shared/errors.js";
import type { TaskRow } from "../store/automation-tables.js";
import type { TaskCursor } from "../store/tasks-repository.js";

// ListTasks pages by position (created_at, task_id), not by offset: a page stays right while tasks are added.

export function pageTokenOf(row: Pick<TaskRow, "created_at" | "task_id">): string {
  return Buffer.from(JSON.stringify([Number(row.created_at), row.task_id])).toString("base64url");
}

export function pageCursorOf(token: string): TaskCursor {
  try {
    const [createdAt, taskId] = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as unknown[];
    if (typeof createdAt === "number" && Number.isFinite(createdAt) && typeof taskId === "string") return { createdAt, taskId };
  } catch {
    // Falls through to the caller's error.
  }
  throw invalidRequest("page_token", "is not a token from an earlier ListTasks page");
}
