import type { ModelProvider } from "../shared/model-types.js";
import type { ProviderKind } from "../shared/provider-kinds.js";
import { AnthropicProvider } from "./anthropic/anthropic-provider.js";
import { DeterministicProvider } from "./deterministic/deterministic-provider.js";
import { OpenAICompatibleProvider } from "./openai/openai-provider.js";
import { httpProviderOptions, type ProviderSetup } from "./provider-setup.js";

/** What providers/ holds for one kind: how to build a provider of it. */
export interface ProviderKindEntry {
  /** Builds the provider a [[model_provider.providers]] entry of this kind describes. */
  create(setup: ProviderSetup): ModelProvider;
}

/**
 * Every provider kind, mapped to its folder. Adding a kind is a new folder, its name and upstream in
 * shared/provider-kinds.ts (which config validates against), and one line here; the type fails until the two agree.
 * HTTP kinds build on httpProviderOptions; in-process kinds read their own settings from the entry.
 */
export const providerKindEntries: { readonly [Kind in ProviderKind]: ProviderKindEntry } = {
  deterministic: { create: ({ config }) => new DeterministicProvider({ providerId: config.provider_id, chunkDelayMs: config.stream_chunk_delay_ms }) },
  openai_compatible: { create: (setup) => new OpenAICompatibleProvider(httpProviderOptions(setup)) },
  anthropic: { create: (setup) => new AnthropicProvider(httpProviderOptions(setup)) },
};
