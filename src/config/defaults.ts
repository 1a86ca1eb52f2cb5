import type { ModelConfig, ProviderConfig } from "./schema.js";

/** What the daemon serves with no config at all: the deterministic provider and one echo model. */
export const defaultProvider: ProviderConfig = {
  provider_id: "local",
  kind: "deterministic",
  allow_private_base_url: false,
  enabled: true,
};

export const defaultChatModel: ModelConfig = {
  model_id: "palyra-echo",
  provider_id: "local",
  role: "chat",
  enabled: true,
  tool_calls: true,
  json_mode: true,
  vision: true,
  max_context_tokens: 128_000,
  cost_tier: 0,
  latency_tier: 0,
  cache_unset_temperature: false,
  max_output_tokens: 4096,
};

export const defaultEmbeddingsModel: ModelConfig = {
  ...defaultChatModel,
  model_id: "palyra-embed",
  role: "embeddings",
  tool_calls: false,
  json_mode: false,
  vision: false,
};

export const defaultTranscriptionModel: ModelConfig = {
  ...defaultEmbeddingsModel,
  model_id: "palyra-transcribe",
  role: "audio_transcription",
};

export const defaultGrpcBind = "127.0.0.1:7142";
export const defaultHttpBind = "127.0.0.1:7143";
export const defaultStateDir = ".palyra";
