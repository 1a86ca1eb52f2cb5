import type { LoadedConfig } from "../config/load-config.js";
import type { CircuitSnapshot } from "../registry/circuit-breaker.js";
import type { ModelRegistry, RegisteredProvider } from "../registry/model-registry.js";
import type { ProviderCircuits } from "../registry/provider-circuits.js";
import type { HealthRecord, ProviderHealth } from "../registry/provider-health.js";
import type { RunEngine } from "../runs/run-engine.js";
import { gatewayVersion } from "../shared/version.js";
import type { Store } from "../store/open-store.js";
import { countRunsByStatus } from "../store/runs-repository.js";

export interface DiagnosticsSources {
  /** The effective config and the keys set from the environment. */
  loadedConfig: LoadedConfig;
  circuits: ProviderCircuits;
  store: Store;
  registry: ModelRegistry;
  providerHealth: ProviderHealth;
  engine: RunEngine;
  startedAt: number;
  configSource: string;
}

export interface DiagnosticsSnapshot {
  version: string;
  startedAt: Date;
  uptimeSeconds: number;
  nodeVersion: string;
  rssBytes: number;
  configSource: string;
  store: { dialect: string; location: string; schemaVersion: number; runCount: number };
  runs: { active: number; succeeded: number; failed: number; cancelled: number };
  providers: { provider: RegisteredProvider; modelCount: number; health: HealthRecord; circuit: CircuitSnapshot }[];
}

/** A point-in-time picture of the daemon for operators. Holds no secret values by construction. */
export async function collectDiagnostics(sources: DiagnosticsSources): Promise<DiagnosticsSnapshot> {
  const counts = await countRunsByStatus(sources.store.db);
  const models = sources.registry.listModels({ includeDisabled: true });
  return {
    version: gatewayVersion,
    startedAt: new Date(sources.startedAt),
    uptimeSeconds: (Date.now() - sources.startedAt) / 1000,
    nodeVersion: process.version,
    rssBytes: process.memoryUsage.rss(),
    configSource: sources.configSource,
    store: {
      dialect: sources.store.dialect,
      location: sources.store.location,
      schemaVersion: sources.store.schemaVersion,
      runCount: counts.running + counts.succeeded + counts.failed + counts.cancelled,
    },
    runs: { active: sources.engine.activeCount, succeeded: counts.succeeded, failed: counts.failed, cancelled: counts.cancelled },
    providers: sources.registry.listProviders().map((provider) => ({
      provider,
      modelCount: models.filter((model) => model.providerId === provider.providerId).length,
      health: sources.providerHealth.stateOf(provider.providerId),
      circuit: sources.circuits.snapshot(provider.providerId),
    })),
  };
}
