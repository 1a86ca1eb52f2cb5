import { chatBudgetQuery } from "../governance/budgets/chat-budget-query.js";
import type { BudgetOutcome, SmartRoutingDecision } from "../governance/run-governance.js";
import type { Caller } from "../identity/caller.js";
import type { RouteCandidate } from "../registry/route-candidates.js";
import type { RunInput } from "../shared/run-input.js";
import { checkCapabilities, checkContextWindow } from "./admission-checks.js";
import { servingModels } from "./budget-terms.js";
import { planChat } from "./chat-plan.js";
import type { RunContext } from "./run-context.js";
import { toChatRequest } from "./run-request.js";

export interface RouteExplanation {
  plan: RouteCandidate[];
  failover: boolean;
  cacheHit: boolean;
  smart: SmartRoutingDecision | undefined;
  budget: BudgetOutcome | undefined;
}

/**
 * What routing would do with a chat request, without running it: the candidates kept and dropped
 * with reasons and order, whether the cache would answer, smart routing's decision (undefined when
 * off) and what budgets would decide (undefined without governance). Invalid requests fail as a run would.
 */
export async function explainRoute(context: RunContext, rawInput: RunInput, caller: Caller): Promise<RouteExplanation> {
  const { input, promptTokens, smart, resolved, plan, failover } = await planChat(context, rawInput, caller);
  const admitted = plan[0] as RouteCandidate;
  try {
    checkCapabilities(input, resolved);
    checkContextWindow(input, resolved, promptTokens);
  } catch (error) {
    admitted.kept = false;
    admitted.reason = (error as Error).message;
  }
  const budget = await context.deps.governance?.preview(chatBudgetQuery(input, caller, servingModels(plan, resolved), promptTokens));
  if (budget?.admitted) {
    for (const candidate of plan) {
      if (!candidate.kept || budget.models.includes(candidate.model.modelId)) continue;
      candidate.kept = false;
      candidate.reason = "failover candidate the budgets cannot afford: its worst case would pass a hard limit";
    }
  }
  let order = 0;
  for (const candidate of plan) candidate.order = candidate.kept ? ++order : 0;
  const request = toChatRequest(input, resolved);
  const { cache } = context.deps;
  const cacheable = !input.bypassCache && cache.isCacheableRequest(request, resolved.model.cacheUnsetTemperature);
  return { plan, failover, cacheHit: cacheable && cache.peek(cache.keyFor(resolved.model.modelId, request)), smart, budget };
}
