import type { Usage } from "../../shared/model-types.js";
import type { WireUsage } from "./wire-types.js";

/** Upstream usage in the gateway's terms; cached tokens are part of the prompt, never added to it. */
export function toUsage(wire: WireUsage): Usage {
  const inputTokens = count(wire.prompt_tokens);
  const outputTokens = wire.completion_tokens != null ? count(wire.completion_tokens) : Math.max(0, count(wire.total_tokens) - inputTokens);
  return {
    inputTokens,
    outputTokens,
    cachedInputTokens: Math.min(count(wire.prompt_tokens_details?.cached_tokens), inputTokens),
    cacheWriteTokens: 0,
    estimated: false,
  };
}

function count(value: number | null | undefined): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.round(value) : 0;
}
