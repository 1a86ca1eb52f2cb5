import { join } from "node:path";
import { summarizeAudit } from "./automation/audit/integrity-audit.js";
import { Automation } from "./automation/automation.js";
import { heartbeatIntervalMs } from "./automation/heartbeat.js";
import { type BindAddress, formatBindAddress } from "./config/bind-address.js";
import { type LoadedConfig, loadConfig } from "./config/load-config.js";
import { pickBinds } from "./config/pick-binds.js";
import type { ModelProviderConfig, ProviderConfig } from "./config/schema.js";
import { stateDirFor } from "./config/state-dir.js";
import { startBackgroundLoops } from "./daemon/background-loops.js";
import { composeGovernance } from "./daemon/compose-governance.js";
import { ConfigReloader } from "./daemon/config-reload.js";
import type { GatewayOptions, RunningGateway } from "./daemon/gateway-options.js";
import { integrityAuditRunner } from "./daemon/integrity-audit-runner.js";
import { startListeners } from "./daemon/listeners.js";
import { diagnosticsSources } from "./diagnostics/diagnostics-sources.js";
import { EventLoopLagMonitor } from "./diagnostics/event-loop-lag.js";
import { createGatewayMetrics } from "./diagnostics/metrics/create-metrics.js";
import { oauthCallbackUrl } from "./http/oauth-callback-route.js";
import { AccessControl } from "./identity/access.js";
import { loadOrCreateAdminToken } from "./identity/admin-token.js";
import { ApiKeys } from "./identity/api-keys/api-keys.js";
import { ApiKeyRateLimits } from "./identity/api-keys/rate-limits.js";
import { createAuthCore } from "./identity/auth-core.js";
import { loadMasterKeys } from "./identity/vault/master-key.js";
import { Vault } from "./identity/vault/vault.js";
import { MemoryJournal } from "./memory/memory-journal.js";
import { runCaptureFor } from "./memory/run-capture.js";
import { systemJobsStatus } from "./memory/system-jobs-status.js";
import { checkProviderSettings, createProvider } from "./providers/create-provider.js";
import { ModelRegistry } from "./registry/model-registry.js";
import { createProviderCircuits } from "./registry/provider-circuits.js";
import { healthRank, ProviderHealth } from "./registry/provider-health.js";
import { ResponseCache } from "./registry/response-cache.js";
import { validateApiKey } from "./registry/validate-api-key.js";
import { HealthStatusBoard } from "./rpc/health-service.js";
import { createInterceptors, createRoutes } from "./rpc/routes.js";
import { RunEngine } from "./runs/run-engine.js";
import { removeDaemonInfo, writeDaemonInfo } from "./shared/daemon-info.js";
import { createLogger } from "./shared/logger.js";
import { openSqliteStore } from "./store/open-store.js";
import { secureStateDirectory } from "./store/state-directory.js";
import { lockStateDirectory, type StateLock } from "./store/state-lock.js";

export type { GatewayOptions, RunningGateway } from "./daemon/gateway-options.js";

/**
 * The composition root: config -> state directory -> store -> cores -> servers. The config is read
 * first (a bad one stops start-up having written nothing); then the state directory is locked for
 * this daemon alone before anything in it is read or written, and released when it stops or fails.
 */
export async function startGateway(options: GatewayOptions = {}): Promise<RunningGateway> {
  const env = options.env ?? process.env;
  const stateDir = stateDirFor(options.stateDir, env);
  const readConfig = () => loadConfig({ path: options.configPath ?? env.PALYRA_CONFIG, stateDir, env });
  const loadedConfig = readConfig();
  const binds = pickBinds(options, env, loadedConfig);
  checkProviderSettings(loadedConfig.config.model_provider, env);
  const lock = lockStateDirectory(stateDir);
  try {
    return await startLocked(
      { logger: options.logger, circuitClock: options.circuitClock, consoleClock: options.consoleClock, ...binds },
      env,
      stateDir,
      loadedConfig,
      lock,
      readConfig,
    );
  } catch (error) {
    removeDaemonInfo(stateDir);
    lock.release();
    throw error;
  }
}

async function startLocked(
  options: Pick<GatewayOptions, "logger" | "circuitClock" | "consoleClock"> & { grpcBind: BindAddress; httpBind: BindAddress },
  env: NodeJS.ProcessEnv,
  stateDir: string,
  loadedConfig: LoadedConfig,
  lock: StateLock,
  readConfig: () => LoadedConfig,
): Promise<RunningGateway> {
  const { grpcBind, httpBind } = options;
  secureStateDirectory(stateDir);
  // Who holds the directory, for a second daemon's refusal; the addresses follow once listening.
  writeDaemonInfo(stateDir, { pid: process.pid });
  const { config, source } = loadedConfig;
  const logger = options.logger ?? createLogger(config.daemon.log_level);

  const startedAt = Date.now();
  const eventLoop = new EventLoopLagMonitor();
  // Before the store opens, so a bad PALYRA_VAULT_KEY stops start-up with nothing to close.
  const masterKeys = loadMasterKeys(stateDir, env);
  const store = await openSqliteStore(join(stateDir, "palyra.sqlite"));
  const vault = new Vault(store.db, masterKeys);
  let callbackUrl: string | undefined;
  const auth = createAuthCore({ db: store.db, secrets: vault, config, env, logger, defaultRedirectUri: () => callbackUrl, validateKey: validateApiKey });

  const clientFor = (provider: ProviderConfig, registryConfig: ModelProviderConfig) =>
    createProvider(provider, registryConfig, env, { vault, profiles: auth.credentials });
  const registry = new ModelRegistry(config.model_provider, (provider) => clientFor(provider, config.model_provider));
  const circuits = createProviderCircuits(registry, logger, options.circuitClock);
  // Prometheus series (GET /metrics): the cores are given its observers below.
  const metrics = await createGatewayMetrics({ db: store.db, config: config.metrics, registry: () => registry, circuits: () => circuits });
  const cache = new ResponseCache({
    enabled: config.model_provider.response_cache_enabled,
    ttlMs: config.model_provider.response_cache_ttl_ms,
    maxEntries: config.model_provider.response_cache_max_entries,
  });
  const providerHealth = new ProviderHealth();
  const healthRankOf = (providerId: string) => healthRank(providerHealth.stateOf(providerId).state);
  const rateLimits = new ApiKeyRateLimits();
  const apiKeys = new ApiKeys({ db: store.db, logger, rateLimits });
  const usageObserver = rateLimits.chargeRun.bind(rateLimits);
  const { priceCatalog, budgets, router } = await composeGovernance({
    store,
    config,
    registry,
    circuits,
    healthRankOf,
    apiKeyExists: (keyId) => apiKeys.exists(keyId),
    observer: metrics.runs,
    logger,
    startedAt,
  });
  // Search embeds its query as an embeddings run of the searcher's (metered and budgeted); the engine exists by then.
  const memory = new MemoryJournal({
    db: store.db,
    config: config.memory,
    embedder: { embed: (input, caller, signal) => engine.embed(input, caller, signal) },
    embeddingsModelId: () => registry.defaults.embeddingsModelId,
    // GetMemoryStatus shows the system jobs' next ticks and latest outcomes.
    systemJobs: () => systemJobsStatus(store.db),
  });
  // Undefined unless [memory] capture_runs / capture_agents ask for it: then runs carry nothing for it.
  const onChatSucceeded = runCaptureFor(config.memory, (run) => memory.retainCaptured(run));
  const engine = new RunEngine({
    store,
    registry,
    logger,
    circuits,
    cache,
    healthRankOf,
    usageObserver,
    router,
    governance: budgets.governance,
    onChatSucceeded,
    runObserver: metrics.runs,
  });
  const runAudit = integrityAuditRunner(
    {
      db: store.db,
      vault,
      // The providers of the config in force (a reload replaces them).
      providers: () => reloader.inForce.config.model_provider.providers,
      policies: () => budgets.policies.list(),
      timeZone: config.usage.timezone,
      engine,
      governance: budgets.governance,
      logger,
    },
    config.automation.self_healing.mode === "auto",
  );
  const beatEveryMs = heartbeatIntervalMs(config.automation.self_healing.stall_after_ms);
  // Scheduled jobs and queued tasks run as their owner would call now (a revoked key's runs fail, recorded).
  const automation = new Automation({
    db: store.db,
    engine,
    config: config.automation,
    callerForKey: (keyId) => apiKeys.callerFor(keyId),
    heartbeatIntervalMs: beatEveryMs,
    logger,
    // The memory system jobs: maintenance and the embeddings backfill with the registry's embeddings model.
    memory: config.memory,
    embeddingsModelId: () => registry.defaults.embeddingsModelId,
    // The integrity audit system job, every [automation] audit_interval_ms.
    auditHandler: async () => ({ message: summarizeAudit(await runAudit()) }),
    onJobRunEnded: metrics.jobRunEnded,
  });
  await automation.syncJobs(config.automation.jobs).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  const reloader = new ConfigReloader(
    {
      readConfig,
      env,
      createClient: clientFor,
      registry,
      circuits,
      priceCatalog,
      budgetPolicies: budgets.policies,
      router,
      automation,
      logger,
    },
    loadedConfig,
  );
  const adminToken = loadOrCreateAdminToken(stateDir, env);
  const healthBoard = new HealthStatusBoard();
  const routes = createRoutes({
    store,
    registry,
    engine,
    logger,
    startedAt,
    configInForce: () => reloader.inForce,
    healthBoard,
    providerHealth,
    circuits,
    cache,
    vault,
    apiKeys,
    auth,
    priceCatalog,
    budgets: budgets.administration,
    tasks: automation.tasks,
    cronJobs: automation.cronJobs,
    runAudit,
    reloadConfig: () => reloader.reload(),
    memory,
    // The config in force after a reload: its secrets are masked too.
    ...diagnosticsSources({ config: () => reloader.inForce.config, env, adminToken, eventLoop, automation }),
  });
  const access = new AccessControl(adminToken, { apiKeys, rateLimits });
  const interceptors = createInterceptors(access);

  const { rpcServer, httpServer } = await startListeners({
    grpcBind,
    httpBind,
    routes,
    interceptors,
    access,
    logger,
    maxBodyBytes: config.daemon.max_request_body_bytes,
    console: { config: config.console, clock: options.consoleClock },
    metrics,
    metricsPublic: config.metrics.public,
  }).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });

  await automation.start().catch(async (error: unknown) => {
    await Promise.all([rpcServer.close(), httpServer.close()]);
    await store.close();
    throw error;
  });

  const grpcAddress = formatBindAddress(rpcServer.address.address, rpcServer.address.port);
  const httpAddress = formatBindAddress(httpServer.address.address, httpServer.address.port);
  callbackUrl = oauthCallbackUrl(httpAddress);
  writeDaemonInfo(stateDir, { pid: process.pid, grpc: grpcAddress, http: httpAddress });
  // The ready line is an interface (scripts wait for it), so it is written whatever the log level.
  logger.child({}, { level: "info" }).info({ grpc: grpcAddress, http: httpAddress, config: source, stateDir }, "ready");
  const loops = startBackgroundLoops({ config, registry, providerHealth, auth, engine, eventLoop, heartbeatIntervalMs: beatEveryMs, logger });

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      logger.info({ activeRuns: engine.activeCount }, "stopping");
      healthBoard.shutdown();
      rpcServer.stopAccepting();
      httpServer.stopAccepting();
      // No tick, task or incident from here on; job runs and tasks in flight get the grace like any run.
      await automation.stopStarting();
      await engine.drain(config.daemon.shutdown_grace_ms);
      await automation.settled();
      await Promise.all([rpcServer.close(), httpServer.close()]);
      await loops.stop();
      await store.close();
      removeDaemonInfo(stateDir);
      lock.release();
      logger.info("stopped");
    })();
    return stopping;
  };
  const reload = () => reloader.reload();
  return { grpcAddress, httpAddress, stateDir, adminToken, logger, reload, stop };
}
