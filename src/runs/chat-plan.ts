import type { SmartRoutingDecision } from "../governance/run-governance.js";
import type { Caller } from "../identity/caller.js";
import type { ResolvedModel } from "../registry/model-registry.js";
import { needsOf, planCandidates, type RouteCandidate } from "../registry/route-candidates.js";
import type { RunInput } from "../shared/run-input.js";
import { promptTokenCounter, type TokenCount } from "../shared/tokens.js";
import type { RunContext } from "./run-context.js";
import { validateRunInput } from "./run-input.js";
import { withCallerAgent } from "./run-request.js";

/** A valid chat request with its model chosen and its route planned: what starting and explaining a run share. */
export interface ChatPlan {
  /** The input as run: bound to the caller's agent, and validated. */
  input: RunInput;
  /** The prompt's upper bound, free; called, counts the prompt once, however often it is asked (context window, failover, smart routing, budgets). */
  promptTokens: TokenCount;
  /** Smart routing's decision; undefined when it is off, so nothing about it is recorded. */
  smart: SmartRoutingDecision | undefined;
  /** The model the run is admitted with. */
  resolved: ResolvedModel;
  /** The candidates the run would be tried on, kept and dropped, in order; the first is the admitted model. */
  plan: RouteCandidate[];
  failover: boolean;
}

/** Validates a chat request and plans its route. Throws (before anything is recorded) on invalid input or an unknown model. */
export async function planChat(context: RunContext, rawInput: RunInput, caller: Caller): Promise<ChatPlan> {
  const input = withCallerAgent(rawInput, caller);
  validateRunInput(input);
  const { registry, router, circuits, healthRankOf } = context.deps;
  const promptTokens = await promptTokenCounter(input.messages, input.tools);
  const decision = await router?.decide(input, { caller, promptTokens });
  const smart = decision?.mode === "off" ? undefined : decision;
  const resolved = resolveChat(context, input, smart);
  const failover = registry.defaults.failoverEnabled && !input.disableFailover;
  const plan = planCandidates({
    registry,
    primary: resolved,
    needs: needsOf(input, promptTokens),
    failover,
    circuitOf: (providerId) => circuits.snapshot(providerId),
    healthRankOf: healthRankOf ?? (() => 0),
  });
  return { input, promptTokens, smart, resolved, plan, failover };
}

/** The model a chat run uses: smart routing's override when it enforces one, else the requested (or default) model. */
function resolveChat({ deps }: RunContext, input: RunInput, smart: SmartRoutingDecision | undefined): ResolvedModel {
  const override = smart?.overrideModelId;
  if (override === undefined) return deps.registry.resolve(input.model, "chat");
  return { ...deps.registry.resolve(override, "chat"), reason: `chosen by smart routing (enforced, complexity ${smart?.complexity})` };
}
