import type { SmartRoutingDecision } from "../governance/run-governance.js";
import type { Caller } from "../identity/caller.js";
import type { ResolvedModel } from "../registry/model-registry.js";
import { GatewayError } from "../shared/errors.js";
import type { ChatRequest } from "../shared/model-types.js";
import type { RunInput } from "../shared/run-input.js";
import type { RunRouting } from "./run-records.js";

// How a run's input becomes what the provider is sent, what is recorded and what the caller is told.

/** A caller bound to an agent (an agent's API key) runs as that agent, whatever the request says. */
export function withCallerAgent<T extends { agentId?: string | undefined }>(input: T, caller: Caller): T {
  return caller.agentId === undefined ? input : { ...input, agentId: caller.agentId };
}

/** Smart routing's decision as the run's record keeps it. */
export function routingRecord(smart: SmartRoutingDecision): RunRouting {
  return { mode: smart.mode, recommendedModel: smart.recommendedModelId, complexity: smart.complexity, dryRunChange: smart.dryRunChange };
}

/** Smart routing's decision as the routing event reports it. */
export function smartRoutingEvent(smart: SmartRoutingDecision) {
  return { mode: smart.mode, complexity: smart.complexity, recommendedModel: smart.recommendedModelId ?? "", dryRunChange: smart.dryRunChange };
}

/** The refusal for a model whose provider has no API for the run's kind. */
export function unsupportedBy({ model, provider }: ResolvedModel, feature: string): GatewayError {
  return new GatewayError(
    "invalid_request",
    `The model '${model.modelId}' is served by provider "${provider.providerId}" (${provider.kind}), which has no ${feature} API`,
    {
      param: "model",
      code: "model_capability_missing",
    },
  );
}

/** The provider request for a chat run on the resolved model. */
export function toChatRequest(input: RunInput, { model }: ResolvedModel): ChatRequest {
  return {
    upstreamModel: model.upstreamModel,
    messages: input.messages,
    tools: input.tools,
    stop: input.stop,
    ...(input.toolChoice !== undefined && { toolChoice: input.toolChoice }),
    ...(input.responseFormat !== undefined && { responseFormat: input.responseFormat }),
    ...(input.maxTokens !== undefined && { maxTokens: input.maxTokens }),
    ...(input.temperature !== undefined && { temperature: input.temperature }),
    ...(input.topP !== undefined && { topP: input.topP }),
    ...(input.userId !== undefined && { user: input.userId }),
    ...(input.agentId !== undefined && { agentId: input.agentId }),
    ...(input.wholeAnswer === true && { wholeAnswer: true }),
  };
}
