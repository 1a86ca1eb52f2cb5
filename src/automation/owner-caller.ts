import { adminCaller, type Caller } from "../identity/caller.js";

/**
 * Who a job's or task's runs are made as: its owner, as the owner would call now. The admin token
 * stays the admin; an API key owner must still be valid (revoked or expired: an auth error), and its
 * scopes, agent binding and limits apply to the runs as they would to its own calls.
 */
export type OwnerCaller = (owner: string) => Promise<Caller>;

export function ownerCallerFrom(callerForKey: (keyId: string) => Promise<Caller>): OwnerCaller {
  return async (owner) => (owner === adminCaller.id ? adminCaller : callerForKey(owner));
}
