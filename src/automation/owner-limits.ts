import type { Caller } from "../identity/caller.js";
import { GatewayError } from "../shared/errors.js";

// What one caller may hold at once, so no key can fill the store or the scheduler: a key that needs
// more deletes what it no longer needs (jobs), or waits for its queue to drain (tasks).

/** Runtime jobs per owner (config jobs are bounded by the config's own limit). */
export const maxJobsPerOwner = 1000;
/** Queued and running tasks per owner. */
export const maxOpenTasksPerOwner = 10_000;

/** The refusal of one more, naming the limit and who hit it. */
export function ownerLimitError(caller: Caller, what: string, limit: number, param: string, code: string): GatewayError {
  const who = caller.kind === "admin" ? "the admin" : `API key ${caller.id}`;
  return new GatewayError("rate_limit", `${param}: ${who} already has ${limit} ${what}, the most one caller may have`, { param, code });
}
