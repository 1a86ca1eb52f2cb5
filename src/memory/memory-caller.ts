import { allScopes } from "../identity/api-keys/scopes.js";
import type { Caller } from "../identity/caller.js";

/**
 * Who the memory system jobs call the engine as: the daemon itself, with the admin's reach, under an
 * id of its own so its embeddings runs stand apart in the ledger and budgets can be aimed at it.
 */
export const memorySystemCaller: Caller = { id: "system:memory", kind: "admin", scopes: allScopes };
