import type { GatewayConfig } from "../config/schema.js";

/**
 * The keys a reload applies to the running daemon: the registry (providers, models, defaults,
 * failover, retry and circuit settings), pricing, budgets, smart routing and the declared jobs.
 * A changed key outside these takes effect at the next start.
 */
const liveKeys: readonly string[] = [
  "model_provider.providers",
  "model_provider.models",
  "model_provider.default_chat_model_id",
  "model_provider.default_embeddings_model_id",
  "model_provider.default_audio_transcription_model_id",
  "model_provider.failover_enabled",
  "model_provider.request_timeout_ms",
  "model_provider.max_retries",
  "model_provider.retry_backoff_ms",
  "model_provider.circuit_breaker_failure_threshold",
  "model_provider.circuit_breaker_cooldown_ms",
  "usage.pricing",
  "usage.budgets",
  "usage.smart_routing",
  "automation.jobs",
];

export interface ConfigChanges {
  /** Dotted keys whose values differ (arrays count as one value: "usage.budgets"). */
  changedKeys: string[];
  /** Their top-level sections, in the config's order. */
  changedSections: string[];
  /** The changed keys a reload does not apply. */
  restartRequired: string[];
}

/** What differs between the config in force and a reloaded one, and what of it needs a restart. */
export function diffConfigs(before: GatewayConfig, after: GatewayConfig): ConfigChanges {
  const changedKeys: string[] = [];
  collectChanges(before, after, "", changedKeys);
  const changedSections = [...new Set(changedKeys.map((key) => key.split(".")[0] ?? key))];
  const restartRequired = changedKeys.filter((key) => !liveKeys.some((live) => key === live || key.startsWith(`${live}.`)));
  return { changedKeys, changedSections, restartRequired };
}

function collectChanges(before: unknown, after: unknown, path: string, into: string[]): void {
  if (isTable(before) && isTable(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    for (const key of keys) collectChanges(before[key], after[key], path === "" ? key : `${path}.${key}`, into);
    return;
  }
  if (JSON.stringify(before) !== JSON.stringify(after)) into.push(path);
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
