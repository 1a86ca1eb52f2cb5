import { allScopes, type Scope } from "./api-keys/scopes.js";

/** Who is calling the daemon, as established by the access check of the transport. */
export interface Caller {
  /** "admin" for the admin token; the key id for a client API key. */
  id: string;
  kind: "admin" | "api_key";
  /** Set for a key bound to an agent: its runs are attributed to that agent, whatever the request says. */
  agentId?: string;
  scopes: ReadonlySet<Scope>;
}

export const adminCaller: Caller = { id: "admin", kind: "admin", scopes: allScopes };
