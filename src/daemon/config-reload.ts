import type { Automation } from "../automation/automation.js";
import { jobDefinitionFromConfig } from "../automation/declarative-jobs.js";
import { checkJobDefinition } from "../automation/job-definition.js";
import { ConfigError } from "../config/config-error.js";
import type { LoadedConfig } from "../config/load-config.js";
import type { GatewayConfig, ModelProviderConfig, ProviderConfig } from "../config/schema.js";
import type { BudgetPolicies } from "../governance/budgets/budget-policies.js";
import { pricesFromConfig } from "../governance/pricing/model-price.js";
import type { PriceCatalog } from "../governance/pricing/price-catalog.js";
import type { ComplexityRouter } from "../governance/routing/smart-router.js";
import { checkProviderSettings } from "../providers/create-provider.js";
import { buildRegistryTables, type ModelRegistry } from "../registry/model-registry.js";
import type { ProviderCircuits } from "../registry/provider-circuits.js";
import { policyFromConfig } from "../shared/budget-policy.js";
import { GatewayError } from "../shared/errors.js";
import type { Logger } from "../shared/logger.js";
import type { ModelProvider } from "../shared/model-types.js";
import { type ConfigChanges, diffConfigs } from "./config-changes.js";

/** What a reload swaps: the cores main.ts built, reconfigured in place. */
export interface ReloadTargets {
  /** Reads and validates the config file the daemon started from (throws ConfigError). */
  readConfig: () => LoadedConfig;
  env: NodeJS.ProcessEnv;
  /** Builds a provider's client as start-up does, for a reloaded [model_provider]. */
  createClient: (provider: ProviderConfig, registry: ModelProviderConfig) => ModelProvider;
  registry: ModelRegistry;
  circuits: ProviderCircuits;
  priceCatalog: PriceCatalog;
  budgetPolicies: BudgetPolicies;
  router: ComplexityRouter;
  automation: Pick<Automation, "syncJobs">;
  logger: Logger;
}

export interface ReloadOutcome extends Omit<ConfigChanges, "changedKeys"> {
  source: string;
  jobsUpserted: number;
  jobsRemoved: number;
}

/**
 * Re-reads palyra.toml and applies it: everything is built and checked first, then swapped in one
 * synchronous step (no request sees half of it), then the declared jobs are synced. A run admitted
 * before keeps the models, providers and budget reservations it started with. An invalid file
 * changes nothing and is refused as invalid_request naming the file and key. One reload at a time.
 */
export class ConfigReloader {
  private current: LoadedConfig;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly targets: ReloadTargets,
    initial: LoadedConfig,
  ) {
    this.current = initial;
  }

  /** The config in force: the one the daemon started with until a reload replaces it (GetEffectiveConfig, diagnostics and the audit read it). */
  get inForce(): LoadedConfig {
    return this.current;
  }

  reload(): Promise<ReloadOutcome> {
    const next = this.queue.then(() => this.reloadNow());
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async reloadNow(): Promise<ReloadOutcome> {
    const { targets } = this;
    const loaded = refusingInvalid(() => targets.readConfig());
    const { config } = loaded;
    const apply = refusingInvalid(() => this.prepare(config));
    const changes = diffConfigs(this.current.config, config);
    apply();
    this.current = loaded;
    const { upserted, removed } = await targets.automation.syncJobs(config.automation.jobs);
    const outcome = {
      source: loaded.source,
      changedSections: changes.changedSections,
      restartRequired: changes.restartRequired,
      jobsUpserted: upserted,
      jobsRemoved: removed,
    };
    targets.logger.info({ ...outcome, changedKeys: changes.changedKeys }, "reloaded the config");
    return outcome;
  }

  /** Builds every new part (throwing when one cannot be built) and returns the synchronous swap. */
  private prepare(config: GatewayConfig): () => void {
    const { targets } = this;
    const registryConfig = config.model_provider;
    checkProviderSettings(registryConfig, targets.env);
    config.automation.jobs.forEach((job, index) => {
      checkJobDefinition(jobDefinitionFromConfig(job), `automation.jobs[${index}]`, config.automation.timezone);
    });
    const tables = buildRegistryTables(registryConfig, (provider) => targets.createClient(provider, registryConfig), targets.registry);
    const prices = pricesFromConfig(config.usage.pricing);
    const policies = config.usage.budgets.map(policyFromConfig);
    return () => {
      targets.circuits.forget(targets.registry.replaceTables(tables));
      targets.priceCatalog.replaceConfigPrices(prices);
      targets.budgetPolicies.replaceConfigPolicies(policies);
      targets.router.reconfigure(config.usage.smart_routing);
    };
  }
}

/** Runs `step`; a config it cannot take becomes invalid_request with the file and key in the message. */
function refusingInvalid<T>(step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (error instanceof GatewayError) {
      throw new GatewayError(error.kind, `the config was not reloaded: ${error.message}`, { param: error.param, code: error.code, cause: error });
    }
    if (error instanceof ConfigError) {
      throw new GatewayError("invalid_request", `the config was not reloaded: ${error.message}`, { param: error.key, code: "invalid_config", cause: error });
    }
    throw new GatewayError("invalid_request", `the config was not reloaded: ${error instanceof Error ? error.message : String(error)}`, {
      code: "invalid_config",
      cause: error,
    });
  }
}
