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

/** The configured providers and models, and how a request's model name resolves to one of them. */
export class ModelRegistry {
  private readonly models = new Map<string, RegisteredModel>();
  private readonly providers = new Map<string, RegisteredProvider>();
  readonly defaults: ModelDefaults;

  constructor(config: ModelProviderConfig, createClient: (config: ProviderConfig) => ModelProvider) {
    for (const provider of config.providers) {
      this.providers.set(provider.provider_id, {
        providerId: provider.provider_id,
        kind: provider.kind,
        baseUrl: provider.base_url,
        enabled: provider.enabled,
        tuning: {
          requestTimeoutMs: provider.request_timeout_ms ?? config.request_timeout_ms,
          maxRetries: provider.max_retries ?? config.max_retries,
          retryBackoffMs: provider.retry_backoff_ms ?? config.retry_backoff_ms,
          failureThreshold: provider.circuit_breaker_failure_threshold ?? config.circuit_breaker_failure_threshold,
          cooldownMs: provider.circuit_breaker_cooldown_ms ?? config.circuit_breaker_cooldown_ms,
        },
        client: createClient(provider),
      });
    }
    for (const model of config.models) this.models.set(model.model_id, toRegisteredModel(model));
    this.defaults = {
      chatModelId: config.default_chat_model_id ?? this.firstUsable("chat")?.modelId,
      embeddingsModelId: config.default_embeddings_model_id ?? this.firstUsable("embeddings")?.modelId,
      audioTranscriptionModelId: config.default_audio_transcription_model_id ?? this.firstUsable("audio_transcription")?.modelId,
      failoverEnabled: config.failover_enabled,
      responseCacheEnabled: config.response_cache_enabled,
    };
  }

  listModels(filter: { role?: ModelRole; includeDisabled?: boolean } = {}): RegisteredModel[] {
    return [...this.models.values()].filter(
      (model) => (filter.role === undefined || model.role === filter.role) && (filter.includeDisabled === true || this.isUsable(model)),
    );
  }

  getProvider(providerId: string): RegisteredProvider | undefined {
    return this.providers.get(providerId);
  }

  listProviders(): RegisteredProvider[] {
    return [...this.providers.values()];
  }

  /** Adds a model found by discovery, marked discovered; false (and nothing added) when its id is taken. */
  addDiscoveredModel(model: RegisteredModel): boolean {
    if (this.models.has(model.modelId)) return false;
    if (!this.providers.has(model.providerId)) throw new GatewayError("internal", `discovered model ${model.modelId} has no provider`);
    this.models.set(model.modelId, { ...model, discovered: true });
    return true;
  }

  /** A model that is enabled and whose provider is enabled, by id. */
  findUsableModel(modelId: string): RegisteredModel | undefined {
    const model = this.models.get(modelId);
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
    const model = this.models.get(name);
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
    return model.enabled && this.providers.get(model.providerId)?.enabled === true;
  }

  private firstUsable(role: ModelRole): RegisteredModel | undefined {
    return [...this.models.values()].find((model) => model.role === role && this.isUsable(model));
  }

  providerOf(model: RegisteredModel): RegisteredProvider {
    const provider = this.providers.get(model.providerId);
    // Config validation guarantees every model's provider exists.
    if (provider === undefined) throw new GatewayError("internal", `model ${model.modelId} has no provider`);
    return provider;
  }
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
