import type { LoadedConfig } from "../config/load-config.js";
import type { BudgetAdministration } from "../governance/budgets/budget-administration.js";
import type { AuthCore } from "../identity/auth-core.js";
import type { ProfileView } from "../identity/auth-profiles/auth-profiles.js";
import { adminCaller } from "../identity/caller.js";
import type { MemoryJournal } from "../memory/memory-journal.js";
import type { MemoryStatus } from "../memory/memory-status.js";
import type { ModelRegistry } from "../registry/model-registry.js";
import type { ProviderCircuits } from "../registry/provider-circuits.js";
import type { ProviderHealth } from "../registry/provider-health.js";
import type { RunEngine } from "../runs/run-engine.js";
import { gatewayVersion } from "../shared/version.js";
import type { Store } from "../store/open-store.js";
import { countRunsSince, runLedgerSize } from "../store/run-diagnostics-repository.js";
import { type AutomationSection, automationSection, type SelfHealingSection, selfHealingSection } from "./automation-section.js";
import type { EventLoopLag } from "./event-loop-lag.js";
import { type FailedRun, type ProviderSection, providerSections } from "./provider-section.js";
import { redactSnapshot } from "./redact-snapshot.js";
import { type StoreSection, storeSection } from "./store-section.js";
import { type UsageSection, usageSection } from "./usage-section.js";

/** How many auth profiles the snapshot lists. */
export const listedProfileCount = 100;
/** The runs counted by status: those started this long ago or since (counting the whole ledger would grow with it). */
export const runCountWindowMs = 86_400_000;

export interface DiagnosticsSources {
  /** The config in force (a reload replaces it), its source and the keys set from the environment. */
  configInForce: () => LoadedConfig;
  circuits: ProviderCircuits;
  store: Store;
  registry: ModelRegistry;
  providerHealth: ProviderHealth;
  engine: RunEngine;
  startedAt: number;
  auth: AuthCore;
  budgets: BudgetAdministration;
  memory: MemoryJournal;
  /** The daemon's event-loop delay since it started. */
  eventLoopLag: () => EventLoopLag;
  /** The cron scheduler's state ("not_started", "running", "stopped"). */
  schedulerState: () => string;
  /** Secret values the snapshot must mask wherever they turn up (diagnostics/known-secrets.ts). */
  knownSecrets: () => readonly string[];
  now?: () => number;
}

export interface RuntimeSection {
  version: string;
  nodeVersion: string;
  startedAt: Date;
  uptimeSeconds: number;
  rssBytes: number;
  heapUsedBytes: number;
  eventLoopLag: EventLoopLag;
  activeRuns: number;
}

export interface DiagnosticsSnapshot {
  runtime: RuntimeSection;
  configSource: string;
  store: StoreSection & { runCount: number };
  runs: { active: number; succeeded: number; failed: number; cancelled: number };
  providers: ProviderSection[];
  authProfiles: ProfileView[];
  usage: UsageSection;
  automation: AutomationSection;
  selfHealing: SelfHealingSection;
  memory: MemoryStatus;
  recentFailures: FailedRun[];
}

/**
 * A point-in-time picture of the daemon for operators, every section read through its core or
 * repository with bounded queries, and every string passed through one redaction (redact-snapshot.ts).
 */
export async function collectDiagnostics(sources: DiagnosticsSources): Promise<DiagnosticsSnapshot> {
  const now = (sources.now ?? Date.now)();
  const { config, source } = sources.configInForce();
  const [counts, ledgerSize, store, providers, profiles, usage, automation, selfHealing, memory] = await Promise.all([
    countRunsSince(sources.store.db, now - runCountWindowMs),
    runLedgerSize(sources.store.db),
    storeSection(sources.store),
    providerSections(sources),
    sources.auth.profiles.list(),
    usageSection({ store: sources.store, budgets: sources.budgets, timeZone: config.usage.timezone, now }),
    automationSection(sources.store, sources.schedulerState(), now),
    selfHealingSection(sources.store, config.automation.self_healing.mode),
    sources.memory.status(adminCaller, ""),
  ]);
  const memoryUsage = process.memoryUsage();
  const snapshot: DiagnosticsSnapshot = {
    runtime: {
      version: gatewayVersion,
      nodeVersion: process.version,
      startedAt: new Date(sources.startedAt),
      uptimeSeconds: (now - sources.startedAt) / 1000,
      rssBytes: memoryUsage.rss,
      heapUsedBytes: memoryUsage.heapUsed,
      eventLoopLag: sources.eventLoopLag(),
      activeRuns: sources.engine.activeCount,
    },
    configSource: source,
    store: { ...store, runCount: ledgerSize },
    runs: { active: sources.engine.activeCount, succeeded: counts.succeeded, failed: counts.failed, cancelled: counts.cancelled },
    providers: providers.providers,
    authProfiles: profiles.slice(0, listedProfileCount),
    usage,
    automation,
    selfHealing,
    memory,
    recentFailures: providers.recentFailures,
  };
  return redactSnapshot(snapshot, sources.knownSecrets());
}
