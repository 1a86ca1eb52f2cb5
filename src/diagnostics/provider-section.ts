import type { CircuitSnapshot } from "../registry/circuit-breaker.js";
import type { ModelRegistry, RegisteredProvider } from "../registry/model-registry.js";
import type { ProviderCircuits } from "../registry/provider-circuits.js";
import type { HealthRecord, ProviderHealth } from "../registry/provider-health.js";
import type { Store } from "../store/open-store.js";
import { type FailedRunRow, latestFailedRuns, latestRunTimings } from "../store/run-diagnostics-repository.js";

/** How many failed runs the providers' last errors are looked for in, and how many runs their latency is measured over. */
export const failedRunWindow = 200;
export const timingWindow = 500;
/** How many failed runs the snapshot lists. */
export const recentFailureCount = 20;

export interface FailedRun {
  runId: string;
  at: number;
  modelId: string;
  providerId: string;
  errorKind: string;
  message: string;
}

export interface ProviderSection {
  providerId: string;
  kind: RegisteredProvider["kind"];
  baseUrl: string;
  enabled: boolean;
  modelCount: number;
  health: HealthRecord;
  circuit: CircuitSnapshot;
  lastError: FailedRun | undefined;
  sampledRuns: number;
  p50DurationMs: number;
  p50FirstOutputMs: number;
}

export interface ProviderSources {
  store: Store;
  registry: ModelRegistry;
  providerHealth: ProviderHealth;
  circuits: ProviderCircuits;
}

/** Each provider's health, circuit, last error and latency, and the newest failed runs (two bounded reads of the runs). */
export async function providerSections(sources: ProviderSources): Promise<{ providers: ProviderSection[]; recentFailures: FailedRun[] }> {
  const [failed, timings] = await Promise.all([latestFailedRuns(sources.store.db, failedRunWindow), latestRunTimings(sources.store.db, timingWindow)]);
  const failures = failed.map(failedRunOf);
  const models = sources.registry.listModels({ includeDisabled: true });
  const providers = sources.registry.listProviders().map((provider): ProviderSection => {
    const own = timings.filter((timing) => timing.provider_id === provider.providerId);
    return {
      providerId: provider.providerId,
      kind: provider.kind,
      baseUrl: provider.baseUrl ?? "",
      enabled: provider.enabled,
      modelCount: models.filter((model) => model.providerId === provider.providerId).length,
      health: sources.providerHealth.stateOf(provider.providerId),
      circuit: sources.circuits.snapshot(provider.providerId),
      lastError: failures.find((failure) => failure.providerId === provider.providerId),
      sampledRuns: own.length,
      p50DurationMs: median(own.map((timing) => timing.duration_ms)),
      p50FirstOutputMs: median(own.map((timing) => timing.first_output_ms)),
    };
  });
  return { providers, recentFailures: failures.slice(0, recentFailureCount) };
}

function failedRunOf(row: FailedRunRow): FailedRun {
  return {
    runId: row.run_id,
    at: Number(row.created_at),
    modelId: row.model_id,
    providerId: row.provider_id,
    errorKind: row.error_kind ?? "",
    message: row.error_message ?? "",
  };
}

/** The median of the known values; 0 when there are none. */
function median(values: readonly (number | null)[]): number {
  // Number(): PostgreSQL returns bigint columns as strings.
  const known = values
    .filter((value) => value !== null)
    .map(Number)
    .sort((a, b) => a - b);
  if (known.length === 0) return 0;
  const middle = Math.floor(known.length / 2);
  return known.length % 2 === 1 ? (known[middle] ?? 0) : ((known[middle - 1] ?? 0) + (known[middle] ?? 0)) / 2;
}
