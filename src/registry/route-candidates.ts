import type { ChatMessage, ToolDefinition } from "../shared/model-types.js";
import type { TokenCount } from "../shared/tokens.js";
import type { CircuitSnapshot } from "./circuit-breaker.js";
import type { ModelRegistry, RegisteredModel, RegisteredProvider, ResolvedModel } from "./model-registry.js";

/** What a chat request needs from a model. */
export interface RequestNeeds {
  tools: boolean;
  vision: boolean;
  jsonMode: boolean;
  /** Tokens the prompt and the answer need from the context window. */
  contextTokens: () => number;
  /** A free upper bound of contextTokens(); a window at least this large fits without counting. */
  contextUpperBound?: number | undefined;
}

/** Whether a request fits a context window: by its upper bound when that settles it, else by its exact count. */
export function fitsContext(needs: RequestNeeds, window: number): boolean {
  return (needs.contextUpperBound ?? Number.POSITIVE_INFINITY) <= window || needs.contextTokens() <= window;
}

export interface RouteCandidate {
  model: RegisteredModel;
  provider: RegisteredProvider;
  /** 1 for the first to try; 0 when dropped. */
  order: number;
  kept: boolean;
  reason: string;
  circuit: CircuitSnapshot;
  /** 0 healthy or unknown, 1 degraded, 2 down. */
  healthRank: number;
}

export interface CandidatePlanInputs {
  registry: ModelRegistry;
  primary: ResolvedModel;
  needs: RequestNeeds;
  failover: boolean;
  circuitOf: (providerId: string) => CircuitSnapshot;
  healthRankOf: (providerId: string) => number;
}

/**
 * The models a chat request may be served by, in the order to try them: the requested (or default)
 * model first, then — when failover is on — every other enabled chat model with the capabilities the
 * request needs, preferring other providers, healthier ones, then cheaper and faster tiers. Models
 * dropped are listed too, with the reason, so routing can be explained.
 */
export function planCandidates(inputs: CandidatePlanInputs): RouteCandidate[] {
  const { registry, primary } = inputs;
  const view = (model: RegisteredModel, provider: RegisteredProvider, kept: boolean, reason: string): RouteCandidate => ({
    model,
    provider,
    order: 0,
    kept,
    reason,
    circuit: inputs.circuitOf(provider.providerId),
    healthRank: inputs.healthRankOf(provider.providerId),
  });

  const first = view(primary.model, primary.provider, true, primary.reason);
  if (first.circuit.state === "open") {
    first.kept = false;
    first.reason = `circuit open for provider "${primary.provider.providerId}"`;
  }
  const others: RouteCandidate[] = [];
  for (const model of registry.listModels({ role: "chat" })) {
    if (model.modelId === primary.model.modelId) continue;
    const provider = registry.providerOf(model);
    others.push(view(model, provider, true, "failover candidate"));
  }
  for (const candidate of others) {
    const why = dropReason(candidate, inputs);
    if (why !== undefined) {
      candidate.kept = false;
      candidate.reason = why;
    }
  }
  const primaryProvider = primary.provider.providerId;
  others.sort(
    (a, b) =>
      Number(a.provider.providerId === primaryProvider) - Number(b.provider.providerId === primaryProvider) ||
      a.healthRank - b.healthRank ||
      a.model.costTier - b.model.costTier ||
      a.model.latencyTier - b.model.latencyTier ||
      a.model.modelId.localeCompare(b.model.modelId),
  );
  const all = [first, ...others];
  let order = 0;
  for (const candidate of all) if (candidate.kept) candidate.order = ++order;
  return all;
}

function dropReason(candidate: RouteCandidate, inputs: CandidatePlanInputs): string | undefined {
  const { model, provider } = candidate;
  const { needs } = inputs;
  if (!inputs.failover) return "failover is off for this request";
  // An echo is no stand-in for a real model: the local provider only serves when asked for.
  if (provider.kind === "deterministic" && inputs.primary.provider.kind !== "deterministic") return "deterministic models are not failover targets";
  // Discovery adds every model a provider lists (embeddings and audio models too), with unknown abilities.
  if (model.discovered) return "discovered models are not failover targets";
  if (needs.tools && !model.capabilities.toolCalls) return "no tool calls";
  if (needs.vision && !model.capabilities.vision) return "no image inputs";
  if (needs.jsonMode && !model.capabilities.jsonMode) return "no JSON mode";
  if (!fitsContext(needs, model.maxContextTokens)) return `context window of ${model.maxContextTokens} tokens is too small`;
  if (candidate.circuit.state === "open") return `circuit open for provider "${provider.providerId}"`;
  return undefined;
}

/** The needs of a chat request, with the token count computed only if a candidate's window is near its upper bound. */
export function needsOf(
  request: { messages: ChatMessage[]; tools: ToolDefinition[]; responseFormat?: { kind: string } | undefined; maxTokens?: number | undefined },
  countPrompt: TokenCount,
): RequestNeeds {
  let tokens: number | undefined;
  return {
    tools: request.tools.length > 0,
    vision: request.messages.some((message) => message.parts.some((part) => part.type === "image")),
    jsonMode: request.responseFormat !== undefined && request.responseFormat.kind !== "text",
    contextTokens: () => (tokens ??= countPrompt() + (request.maxTokens ?? 0)),
    contextUpperBound: countPrompt.upperBound + (request.maxTokens ?? 0),
  };
}
