import type { Caller } from "../identity/caller.js";
import type { EmbeddingsResult } from "../shared/model-types.js";
import { textsTokenCounter } from "../shared/tokens.js";
import { hashRequest, unaryBudgetQuery } from "./budget-terms.js";
import type { RunContext } from "./run-context.js";
import { validateEmbedInput } from "./run-input.js";
import { unsupportedBy, withCallerAgent } from "./run-request.js";
import type { EmbedInput } from "./unary-input.js";
import { runUnary, type UnaryRunResult } from "./unary-run.js";

/** Embeds a batch of texts as one recorded run. Aborting `signal` (the caller's) cancels it. */
export async function embed(context: RunContext, rawInput: EmbedInput, caller: Caller, signal: AbortSignal): Promise<UnaryRunResult<EmbeddingsResult>> {
  context.active.checkAccepting();
  const input = withCallerAgent(rawInput, caller);
  validateEmbedInput(input);
  const resolved = context.deps.registry.resolve(input.model, "embeddings");
  const { client } = resolved.provider;
  if (client.embed === undefined) throw unsupportedBy(resolved, "embeddings");
  const embedTexts = client.embed.bind(client);
  const request = {
    upstreamModel: resolved.model.upstreamModel,
    inputs: input.inputs,
    ...(input.dimensions !== undefined && { dimensions: input.dimensions }),
    ...(input.userId && { user: input.userId }),
    ...(input.agentId && { agentId: input.agentId }),
  };
  const attribution = { ...input, caller, requestedModel: input.model };
  const inputTokens = await textsTokenCounter(() => input.inputs);
  const budget = {
    query: unaryBudgetQuery(attribution, resolved, () => ({ input: inputTokens(), output: 0 })),
    requestHash: () => hashRequest("embeddings", resolved.model.modelId, input.inputs, input.dimensions),
  };
  return runUnary(context, { kind: "embeddings", resolved, attribution, budget }, signal, async (runSignal) => {
    const result = await embedTexts(request, runSignal);
    return { result, usage: result.usage };
  });
}
