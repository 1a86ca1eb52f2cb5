import type { Kysely } from "kysely";
import type { MetricsConfig } from "../../config/schema.js";
import type { ModelRegistry } from "../../registry/model-registry.js";
import type { ProviderCircuits } from "../../registry/provider-circuits.js";
import { countUnresolvedIncidents } from "../../store/incidents-repository.js";
import { busiestAgents } from "../../store/runs-repository.js";
import type { Database } from "../../store/tables.js";
import { GatewayMetrics } from "./gateway-metrics.js";

/** How far back the ledger is read for the busiest agents at start-up. */
const busiestAgentsWindowMs = 7 * 86_400_000;

/**
 * The daemon's metrics (main.ts): agents seeded from the ledger's busiest of the last 7 days, circuit
 * states from the registry's providers, open incidents counted from the store at scrape time.
 * `registry` is read on each scrape, so a registry swapped on reload is seen.
 */
export async function createGatewayMetrics(deps: {
  db: Kysely<Database>;
  config: MetricsConfig;
  registry: () => ModelRegistry;
  circuits: () => ProviderCircuits;
  now?: () => number;
}): Promise<GatewayMetrics> {
  const now = deps.now ?? Date.now;
  const seededAgents = await busiestAgents(deps.db, now() - busiestAgentsWindowMs, deps.config.top_agents);
  return new GatewayMetrics({
    topAgents: deps.config.top_agents,
    seededAgents,
    circuitStates: function* () {
      const circuits = deps.circuits();
      for (const provider of deps.registry().listProviders()) yield [provider.providerId, circuits.snapshot(provider.providerId).state] as const;
    },
    openIncidents: () => countUnresolvedIncidents(deps.db),
  });
}
