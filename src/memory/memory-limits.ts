import { invalidRequest } from "../shared/errors.js";

// The bounds of what callers give the journal; every error names the field at fault.

export const maxAgentIdLength = 256;
export const maxTags = 32;
export const maxTagLength = 64;
/** Ten years: long enough for anything a journal keeps, short enough that expiry times stay exact. */
export const maxTtlMs = 10 * 365 * 24 * 3_600_000;
export const defaultK = 10;
export const maxK = 100;
export const defaultPageSize = 50;
export const maxPageSize = 500;
/** Longest search query, in characters (it is embedded as one input). */
export const maxQueryChars = 4096;

/** The agent id, required: 1-256 printable characters. */
export function checkAgentId(agentId: string, param = "agent_id"): string {
  if (agentId.length === 0) throw invalidRequest(param, "is required");
  checkPrintable(param, agentId, maxAgentIdLength);
  return agentId;
}

/** An optional id (session): at most 256 printable characters. */
export function checkOptionalId(param: string, value: string): string | undefined {
  if (value.length === 0) return undefined;
  checkPrintable(param, value, maxAgentIdLength);
  return value;
}

/** Tags: at most 32, each 1-64 printable characters; duplicates are dropped. */
export function checkTags(tags: readonly string[], param = "tags"): string[] {
  if (tags.length > maxTags) throw invalidRequest(param, `at most ${maxTags} tags are allowed`);
  tags.forEach((tag, index) => {
    if (tag.length === 0) throw invalidRequest(`${param}[${index}]`, "must not be empty");
    checkPrintable(`${param}[${index}]`, tag, maxTagLength);
  });
  return [...new Set(tags)];
}

/** The number of hits: 0 means the default, 1-100 otherwise. */
export function checkK(k: number): number {
  if (k === 0) return defaultK;
  if (!Number.isInteger(k) || k < 0 || k > maxK) throw invalidRequest("k", `must be between 1 and ${maxK}`);
  return k;
}

export function checkPageSize(pageSize: number): number {
  if (pageSize === 0) return defaultPageSize;
  if (!Number.isInteger(pageSize) || pageSize < 0 || pageSize > maxPageSize) throw invalidRequest("page_size", `must be between 1 and ${maxPageSize}`);
  return pageSize;
}

function checkPrintable(param: string, value: string, maxLength: number): void {
  if (value.length > maxLength) throw invalidRequest(param, `must be at most ${maxLength} characters`);
  // Control characters would end up in logs and CLI tables.
  if (/[\u0000-\u001f\u007f]/.test(value)) throw invalidRequest(param, "must not contain control characters");
}
