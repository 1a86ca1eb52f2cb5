/** The label of agents that did not get their own. */
export const otherAgent = "other";

/** Agent ids are the caller's words: a label keeps at most this many characters of one. */
const maxAgentLabelChars = 64;

/**
 * Which agents get their own `agent` label on the cost and token series, so the series stay bounded
 * ([metrics] top_agents + "other" + "" for runs without an agent). "Top" is decided deterministically:
 * first the busiest agents of the last 7 days in the ledger at start-up (most runs, ties by id), then
 * the first new agents the daemon sees, until `limit` agents have a label; an agent keeps its label for
 * the daemon's life (its series never jump), every later agent folds into agent="other". Agents beyond
 * the limit are not remembered, so memory stays bounded too.
 */
export class AgentLabels {
  private readonly labelled = new Set<string>();

  constructor(
    private readonly limit: number,
    seeded: readonly string[] = [],
  ) {
    for (const agentId of seeded) this.labelOf(agentId);
  }

  /** The label of an agent id: itself (clipped), "other" past the limit, "" for no agent. */
  labelOf(agentId: string | undefined): string {
    if (agentId === undefined || agentId === "") return "";
    if (this.labelled.has(agentId)) return clipped(agentId);
    if (this.labelled.size >= this.limit) return otherAgent;
    this.labelled.add(agentId);
    return clipped(agentId);
  }
}

function clipped(agentId: string): string {
  return agentId.length <= maxAgentLabelChars ? agentId : agentId.slice(0, maxAgentLabelChars);
}
