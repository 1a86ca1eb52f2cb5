import type { ProviderConfig } from "../config/schema.js";
import { GatewayError } from "../errors.js";
import { DeterministicProvider } from "./deterministic/deterministic-provider.js";
import type { ModelProvider } from "./types.js";

/** Builds the provider a [[model_provider.providers]] entry describes. */
export function createProvider(config: ProviderConfig): ModelProvider {
  switch (config.kind) {
    case "deterministic":
      return new DeterministicProvider({
        providerId: config.provider_id,
        ...(config.stream_chunk_delay_ms !== undefined && { chunkDelayMs: config.stream_chunk_delay_ms }),
      });
    case "openai_compatible":
    case "anthropic":
      return new UnsupportedProvider(config);
  }
}

/** Stands in for provider kinds this build cannot talk to yet, failing each call clearly. */
class UnsupportedProvider implements ModelProvider {
  readonly providerId: string;
  readonly kind: ProviderConfig["kind"];

  constructor(config: ProviderConfig) {
    this.providerId = config.provider_id;
    this.kind = config.kind;
  }

  async *streamChat(): AsyncIterable<never> {
    throw new GatewayError("unavailable", `provider "${this.providerId}": kind "${this.kind}" is not supported by this build`, {
      code: "provider_kind_unsupported",
    });
  }
}
