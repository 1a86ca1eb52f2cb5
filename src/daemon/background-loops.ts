import type { GatewayConfig } from "../config/schema.js";
import type { EventLoopLagMonitor } from "../diagnostics/event-loop-lag.js";
import type { AuthCore } from "../identity/auth-core.js";
import { startBackgroundDiscovery } from "../registry/model-discovery.js";
import type { ModelRegistry } from "../registry/model-registry.js";
import type { ProviderHealth } from "../registry/provider-health.js";
import type { RunEngine } from "../runs/run-engine.js";
import type { Logger } from "../shared/logger.js";

/**
 * What runs on its own once the daemon is ready: event-loop lag sampling, provider health checks, model
 * discovery, OAuth token refresh and run heartbeats. `stop` ends them all (after the runs have drained).
 */
export function startBackgroundLoops(deps: {
  config: GatewayConfig;
  registry: ModelRegistry;
  providerHealth: ProviderHealth;
  auth: AuthCore;
  engine: RunEngine;
  eventLoop: EventLoopLagMonitor;
  heartbeatIntervalMs: number;
  logger: Logger;
}): { stop(): Promise<void> } {
  const { config, registry, providerHealth, logger } = deps;
  deps.eventLoop.start();
  providerHealth.startBackgroundChecks(registry, config.model_provider.health_ttl_ms, logger);
  const discovery = config.model_provider.discovery_enabled
    ? startBackgroundDiscovery(registry, providerHealth, config.model_provider.discovery_ttl_ms, logger)
    : undefined;
  const tokenRefresh = deps.auth.startRefreshLoop();
  const heartbeats = deps.engine.startHeartbeats(deps.heartbeatIntervalMs);
  return {
    stop: async () => {
      await heartbeats.stop();
      await Promise.all([providerHealth.stop(), discovery?.stop(), tokenRefresh.stop()]);
      deps.eventLoop.stop();
    },
  };
}
