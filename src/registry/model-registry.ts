import type { ModelConfig, ModelProviderConfig, ModelRole, ProviderConfig } from "../config/schema.js";
import { GatewayError } from "../shared/errors.js";
import type { ModelProvider } from "../shared/model-types.js";

export interface RegisteredModel {
  modelId: string;
  providerId: string;
  upstreamModel: string;
  role: ModelRole;
  enabled: boolean;
  capabilities: { toolCalls: boolean; jsonMode: boolean; vision: boolean };
  maxContextTokens: number;
  costTier: number;
  latencyTier: number;
  discovered: boolean;
  /** Requests without a temperature count as deterministic for the response cache. */
  cacheUnsetTemperature: boolean;
  /** The most output a request may ask for; budgets project a request without max_tokens at this. */
  maxOutputTokens: number;
}

/** How the gateway treats one provider's upstream calls: its own settings, else [model_provider]'s. */
export interface ProviderTuning {
  requestTimeoutMs: number;
  maxRetries: number;
  retryBackoffMs: number;
  failureThreshold: number;
  cooldownMs: number;
}

export interface RegisteredProvider {
  providerId: string;
  kind: ProviderConfig["kind"];
  baseUrl: string | undefined;
  enabled: boolean;
  tuning: ProviderTuning;
  client: ModelProvider;
}

export interface ModelDefaults {
  chatModelId: string | undefined;
  embeddingsModelId: string | undefined;
  audioTranscriptionModelId: string | undefined;
  failoverEnabled: boolean;
  responseCacheEnabled: boolean;
}

export interface ResolvedModel {
  model: RegisteredModel;
  provider: RegisteredProvider;
  /** Why this model was chosen, in words. */
  reason: string;
}

/** Names that ask the gateway to choose the model itself. */
const automaticModelNames = new Set(["", "auto"]);

/** The registry's tables: replaced as a whole when the config is reloaded, so a reader never sees half of one. */
export interface RegistryTables {
  readonly models: Map<string, RegisteredModel>;
  readonly providers: ReadonlyMap<string, RegisteredProvider>;
  readonly defaults: ModelDefaults;
  /** What each provider object was built from, so a reload keeps the ones whose settings did not change. */
  readonly fingerprints: ReadonlyMap<string, string>;
}

/** Builds a provider's client from its config entry. */
export type ProviderClientFactory = (config: ProviderConfig) => ModelProvider;

/** The configured providers and models, and how a request's model name resolves to one of them. */
export class ModelRegistry {
  private tables: RegistryTables;

  constructor(config: ModelProviderConfig, createClient: ProviderClientFactory) {
    this.tables = buildRegistryTables(config, createClient);
  }

  get defaults(): ModelDefaults {
    return this.tables.defaults;
  }

  /**
   * Swaps in tables built from a reloaded config in one assignment. Runs already admitted keep the
   * models and providers they resolved; models discovery added stay while their provider does.
   * Returns the ids of providers that are new, gone or rebuilt (their circuits start afresh).
   */
  replaceTables(next: RegistryTables): string[] {
    const before = this.tables;
    for (const model of before.models.values()) {
      if (
        model.discovered &&
        next.providers.get(model.providerId)?.client === before.providers.get(model.providerId)?.client &&
        !next.models.has(model.modelId)
      ) {
        next.models.set(model.modelId, model);
      }
    }
    this.tables = next;
    const ids = new Set([...before.providers.keys(), ...next.providers.keys()]);
    return [...ids].filter((id) => before.providers.get(id) !== next.providers.get(id));
  }

  listModels(filter: { role?: ModelRole; includeDisabled?: boolean } = {}): RegisteredModel[] {
    return [...this.tables.models.values()].filter(
      (model) => (filter.role === undefined || model.role === filter.role) && (filter.includeDisabled === true || this.isUsable(model)),
    );
  }

  getProvider(providerId: string): RegisteredProvider | undefined {
    return this.tables.providers.get(providerId);
  }

  listProviders(): RegisteredProvider[] {
    return [...this.tables.providers.values()];
  }

  /** Adds a model found by discovery, marked discovered; false (and nothing added) when its id is taken. */
  addDiscoveredModel(model: RegisteredModel): boolean {
    if (this.tables.models.has(model.modelId)) return false;
    if (!this.tables.providers.has(model.providerId)) throw new GatewayError("internal", `discovered model ${model.modelId} has no provider`);
    this.tables.models.set(model.modelId, { ...model, discovered: true });
    return true;
  }

  /** A model that is enabled and whose provider is enabled, by id. */
  findUsableModel(modelId: string): RegisteredModel | undefined {
    const model = this.tables.models.get(modelId);
    return model !== undefined && this.isUsable(model) ? model : undefined;
  }

  /** Resolves the model a request names, or the default model of the role when it names none. */
  resolve(requested: string | undefined, role: ModelRole): ResolvedModel {
    const name = requested?.trim() ?? "";
    const roleName = role.replace("_", " ");
    if (automaticModelNames.has(name)) {
      const modelId = this.defaultModelId(role);
      const model = modelId === undefined ? undefined : this.findUsableModel(modelId);
      if (model === undefined) {
        throw new GatewayError("unavailable", `no enabled ${roleName} model is configured`, { code: `no_${role}_model` });
      }
      return { model, provider: this.providerOf(model), reason: `default ${roleName} model` };
    }
    const model = this.tables.models.get(name);
    if (model === undefined || !this.isUsable(model)) {
      const why = model === undefined ? "does not exist" : "is disabled";
      throw new GatewayError("not_found", `The model '${name}' ${why}`, { param: "model", code: "model_not_found" });
    }
    if (model.role !== role) {
      throw new GatewayError("invalid_request", `The model '${name}' is a ${model.role.replace("_", " ")} model, not a ${roleName} model`, {
        param: "model",
        code: "model_role_mismatch",
      });
    }
    return { model, provider: this.providerOf(model), reason: "requested by the caller" };
  }

  private defaultModelId(role: ModelRole): string | undefined {
    if (role === "chat") return this.defaults.chatModelId;
    return role === "embeddings" ? this.defaults.embeddingsModelId : this.defaults.audioTranscriptionModelId;
  }

  private isUsable(model: RegisteredModel): boolean {
    return model.enabled && this.tables.providers.get(model.providerId)?.enabled === true;
  }

  /** The provider in force, when it was built from the same fingerprint (reloads reuse it). */
  keptProvider(providerId: string, fingerprint: string): RegisteredProvider | undefined {
    return this.tables.fingerprints.get(providerId) === fingerprint ? this.tables.providers.get(providerId) : undefined;
  }

  providerOf(model: RegisteredModel): RegisteredProvider {
    const provider = this.tables.providers.get(model.providerId);
    // Config validation guarantees every model's provider exists.
    if (provider === undefined) throw new GatewayError("internal", `model ${model.modelId} has no provider`);
    return provider;
  }
}

/**
 * The tables a [model_provider] config describes. With `reuse` (the tables in force), a provider whose
 * entry and inherited settings are unchanged keeps its object and client (its connection pool).
 */
export function buildRegistryTables(config: ModelProviderConfig, createClient: ProviderClientFactory, reuse?: ModelRegistry): RegistryTables {
  const providers = new Map<string, RegisteredProvider>();
  const fingerprints = new Map<string, string>();
  for (const provider of config.providers) {
    const tuning: ProviderTuning = {
      requestTimeoutMs: provider.request_timeout_ms ?? config.request_timeout_ms,
      maxRetries: provider.max_retries ?? config.max_retries,
      retryBackoffMs: provider.retry_backoff_ms ?? config.retry_backoff_ms,
      failureThreshold: provider.circuit_breaker_failure_threshold ?? config.circuit_breaker_failure_threshold,
      cooldownMs: provider.circuit_breaker_cooldown_ms ?? config.circuit_breaker_cooldown_ms,
    };
    const fingerprint = providerFingerprint(provider, config);
    const kept = reuse?.keptProvider(provider.provider_id, fingerprint);
    providers.set(
      provider.provider_id,
      kept ?? {
        providerId: provider.provider_id,
        kind: provider.kind,
        baseUrl: provider.base_url,
        enabled: provider.enabled,
        tuning,
        client: createClient(provider),
      },
    );
    fingerprints.set(provider.provider_id, fingerprint);
  }
  const models = new Map(config.models.map((model) => [model.model_id, toRegisteredModel(model)]));
  const isUsable = (model: RegisteredModel) => model.enabled && providers.get(model.providerId)?.enabled === true;
  const firstUsable = (role: ModelRole) => [...models.values()].find((model) => model.role === role && isUsable(model))?.modelId;
  const defaults: ModelDefaults = {
    chatModelId: config.default_chat_model_id ?? firstUsable("chat"),
    embeddingsModelId: config.default_embeddings_model_id ?? firstUsable("embeddings"),
    audioTranscriptionModelId: config.default_audio_transcription_model_id ?? firstUsable("audio_transcription"),
    failoverEnabled: config.failover_enabled,
    responseCacheEnabled: config.response_cache_enabled,
  };
  return { models, providers, defaults, fingerprints };
}

/** Everything a provider's object is built from: its entry and the [model_provider] settings it inherits. */
function providerFingerprint(provider: ProviderConfig, config: ModelProviderConfig): string {
  // The model lists and defaults do not shape a provider: `palyra models set` keeps every circuit.
  const {
    providers: _providers,
    models: _models,
    default_chat_model_id: _chat,
    default_embeddings_model_id: _embeddings,
    default_audio_transcription_model_id: _transcription,
    failover_enabled: _failover,
    ...inherited
  } = config;
  return JSON.stringify([provider, inherited]);
}

function toRegisteredModel(model: ModelConfig): RegisteredModel {
  return {
    modelId: model.model_id,
    providerId: model.provider_id,
    upstreamModel: model.upstream_model ?? model.model_id,
    role: model.role,
    enabled: model.enabled,
    capabilities: { toolCalls: model.tool_calls, jsonMode: model.json_mode, vision: model.vision },
    maxContextTokens: model.max_context_tokens,
    costTier: model.cost_tier,
    latencyTier: model.latency_tier,
    discovered: false,
    cacheUnsetTemperature: model.cache_unset_temperature,
    maxOutputTokens: model.max_output_tokens,
  };
}
