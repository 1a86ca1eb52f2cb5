import type { Caller } from "../identity/caller.js";
import { GatewayError, invalidRequest } from "../shared/errors.js";
import { checkAgentId } from "./memory-limits.js";

// Who reaches which journal. A key bound to an agent reaches only that agent's memories; an unbound
// key (with the memory scope, checked by the transport) names the agent it means; the admin reaches all.

/**
 * The agent a call acts on: a bound key's own (an empty agent_id means it), else the one named.
 * A bound key naming another agent is refused with a permission error naming both.
 */
export function agentFor(caller: Caller, requested: string): string {
  if (caller.agentId !== undefined) {
    if (requested && requested !== caller.agentId) {
      throw new GatewayError(
        "permission",
        `agent_id: this key is bound to agent "${caller.agentId}" and cannot reach agent "${requested.slice(0, 256)}"'s memories`,
        {
          param: "agent_id",
          code: "agent_not_permitted",
        },
      );
    }
    return caller.agentId;
  }
  return checkAgentId(requested);
}

/** For listings and figures that may span agents: undefined (every agent) is for the admin only. */
export function agentOrAll(caller: Caller, requested: string): string | undefined {
  if (!requested && caller.kind === "admin") return undefined;
  if (!requested && caller.agentId === undefined) throw invalidRequest("agent_id", "is required for a client key (only the admin may span every agent)");
  return agentFor(caller, requested);
}

/** Whether the caller may see an item of `agentId` (others' items are not_found, so ids reveal nothing). */
export function mayReach(caller: Caller, agentId: string): boolean {
  return caller.agentId === undefined || caller.agentId === agentId;
}

export function memoryNotFound(memoryId: string): GatewayError {
  return new GatewayError("not_found", `no memory with id "${memoryId.slice(0, 128)}"`, { param: "memory_id", code: "memory_not_found" });
}
