import type { Caller } from "../../identity/caller.js";
import type { RegisteredModel } from "../../registry/model-registry.js";
import type { RunInput } from "../../shared/run-input.js";
import type { TokenCount } from "../../shared/tokens.js";
import type { BudgetQuery } from "../run-governance.js";

/**
 * What budgets judge for a chat that `models` may serve (the admitted one first, then failover
 * candidates): the prompt's tokens, and the answer at max_tokens or else at each model's output cap.
 * `promptTokens` is passed in, counting once, so one prompt is tokenized once however many queries it
 * takes, and only when its upper bound comes near a budget's limit.
 */
export function chatBudgetQuery(input: RunInput, caller: Caller, models: readonly RegisteredModel[], promptTokens: TokenCount): BudgetQuery {
  return {
    caller,
    agentId: input.agentId,
    sessionId: input.sessionId,
    userId: input.userId,
    models: models.map(({ modelId, providerId, upstreamModel, maxOutputTokens }) => ({ modelId, providerId, upstreamModel, maxOutputTokens })),
    projectTokens: (model) => ({ input: promptTokens(), output: input.maxTokens ?? model.maxOutputTokens }),
    projectTokensUpperBound: (model) => ({ input: promptTokens.upperBound, output: input.maxTokens ?? model.maxOutputTokens }),
  };
}
