import { Gauge, type Registry } from "prom-client";
import type { CircuitStateName } from "../../registry/circuit-breaker.js";

/** The circuit gauge's values: a state as a number, so alerts can say `> 0`. */
export const circuitStateValues: Record<CircuitStateName, number> = { closed: 0, half_open: 1, open: 2 };

export interface ScrapeSources {
  /** Every configured provider's circuit state (read from memory). */
  circuitStates(): Iterable<readonly [providerId: string, state: CircuitStateName]>;
  /** How many incidents are open or remediating (one indexed COUNT). */
  openIncidents(): Promise<number>;
}

/** Gauges read when Prometheus scrapes, never on the request path: circuit state per provider, open incidents. */
export function registerScrapeGauges(registry: Registry, sources: ScrapeSources): void {
  new Gauge({
    name: "palyra_circuit_state",
    help: "Each provider's circuit breaker: 0 closed, 1 half-open, 2 open",
    labelNames: ["provider"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [provider, state] of sources.circuitStates()) this.set({ provider }, circuitStateValues[state]);
    },
  });
  new Gauge({
    name: "palyra_open_incidents",
    help: "Self-healing incidents open or remediating",
    registers: [registry],
    async collect() {
      this.set(await sources.openIncidents());
    },
  });
}
