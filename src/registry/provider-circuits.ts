import type { Logger } from "../shared/logger.js";
import { CircuitBreaker, type CircuitSnapshot, type CircuitStateName } from "./circuit-breaker.js";
import type { ModelRegistry } from "./model-registry.js";

export interface CircuitSettings {
  failureThreshold: number;
  cooldownMs: number;
}

/**
 * One breaker per provider, created on first use with that provider's settings. Settings are read
 * once per provider, so a changed threshold or cooldown applies to a new ProviderCircuits only.
 */
export class ProviderCircuits {
  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(
    private readonly settingsOf: (providerId: string) => CircuitSettings,
    private readonly now?: () => number,
    private readonly onTransition?: (providerId: string, from: CircuitStateName, to: CircuitStateName) => void,
  ) {}

  get(providerId: string): CircuitBreaker {
    let breaker = this.breakers.get(providerId);
    if (breaker === undefined) {
      const settings = this.settingsOf(providerId);
      const onTransition = this.onTransition;
      breaker = new CircuitBreaker({
        failureThreshold: settings.failureThreshold,
        cooldownMs: settings.cooldownMs,
        now: this.now,
        onTransition: onTransition && ((from, to) => onTransition(providerId, from, to)),
      });
      this.breakers.set(providerId, breaker);
    }
    return breaker;
  }

  snapshot(providerId: string): CircuitSnapshot {
    return this.get(providerId).snapshot();
  }

  /** Drops these providers' breakers (a reload rebuilt or removed them): the next use starts one with the settings then in force. */
  forget(providerIds: Iterable<string>): void {
    for (const providerId of providerIds) this.breakers.delete(providerId);
  }
}

/** The daemon's breakers: each provider's own threshold and cooldown, transitions logged; `now` defaults to Date.now. */
export function createProviderCircuits(registry: ModelRegistry, logger: Logger, now?: () => number): ProviderCircuits {
  return new ProviderCircuits(
    (providerId) => {
      const tuning = registry.getProvider(providerId)?.tuning;
      return { failureThreshold: tuning?.failureThreshold ?? 3, cooldownMs: tuning?.cooldownMs ?? 30_000 };
    },
    now,
    (providerId, from, to) => logger.warn({ providerId, from, to }, "provider circuit changed state"),
  );
}
