import { chatBudgetQuery } from "../governance/budgets/chat-budget-query.js";
import type { Caller } from "../identity/caller.js";
import type { RouteCandidate } from "../registry/route-candidates.js";
import type { RunInput } from "../shared/run-input.js";
import { checkCapabilities, checkContextWindow } from "./admission-checks.js";
import { servingModels } from "./budget-terms.js";
import { planChat } from "./chat-plan.js";
import { EventChannel } from "./event-channel.js";
import { executeChat } from "./execute-chat.js";
import { admitRun } from "./run-admission.js";
import { closeDepsFor, type RunContext } from "./run-context.js";
import type { RunEvent } from "./run-events.js";
import { routingRecord, smartRoutingEvent, toChatRequest } from "./run-request.js";

export interface RunHandle {
  runId: string;
  /** The run's events, ending with its terminal event. */
  events: AsyncIterable<RunEvent>;
  /** Cancels the run; its events still end with a cancelled event. */
  cancel(reason: string): void;
  /** Cancels the run and stops delivering events, for a caller that went away. */
  detach(reason: string): void;
}

/** Validates and admits a chat run, records it as running, and starts it. Throws before admission. */
export async function startChat(context: RunContext, rawInput: RunInput, caller: Caller): Promise<RunHandle> {
  context.active.checkAccepting();
  const { input, promptTokens, smart, resolved, plan } = await planChat(context, rawInput, caller);
  checkCapabilities(input, resolved);
  checkContextWindow(input, resolved, promptTokens);
  const request = toChatRequest(input, resolved);
  const { cache } = context.deps;
  const cacheKey =
    !input.bypassCache && cache.isCacheableRequest(request, resolved.model.cacheUnsetTemperature) ? cache.keyFor(resolved.model.modelId, request) : undefined;
  const run = await admitRun(context, {
    kind: "chat",
    resolved,
    attribution: { ...input, caller, requestedModel: input.model },
    budget: {
      // Failover may move the run to any kept candidate: budgets judge each, and keep it to those they can afford.
      query: chatBudgetQuery(input, caller, servingModels(plan, resolved), promptTokens),
      requestHash: () => cache.keyFor(resolved.model.modelId, request),
      approvalId: input.approvalId,
    },
    routing: smart && routingRecord(smart),
  });
  const { affordable, active } = run;
  // The exact count when admission made one (a large prompt, or a close budget), else the free upper bound.
  active.progress.promptTokens = promptTokens.known() ?? promptTokens.upperBound;
  const channel = new EventChannel<RunEvent>();
  const ended = executeChat(
    {
      ...run,
      request,
      // Failover keeps to the candidates the run's budgets can afford.
      candidates: plan.filter((candidate) => candidate.kept && (affordable === undefined || affordable.includes(candidate.model.modelId))),
      admitted: plan[0] as RouteCandidate,
      requestedModel: input.model ?? "",
      deadline: run.startedAt + resolved.provider.tuning.requestTimeoutMs,
      cacheKey,
      smartRouting: smart && smartRoutingEvent(smart),
      channel,
      progress: active.progress,
      // A cheap check when capture is off: no object for runs nobody listens to.
      succeeded: context.deps.onChatSucceeded && { listener: context.deps.onChatSucceeded, input },
    },
    {
      ...closeDepsFor(context, caller, input.agentId),
      circuits: context.deps.circuits,
      cache,
      random: context.deps.random,
      observer: context.deps.runObserver,
    },
  );
  context.active.track(run.runId, run.active, ended);

  const cancel = (reason: string) => context.active.cancel(run.active, reason);
  return {
    runId: run.runId,
    events: channel,
    cancel,
    detach: (reason) => {
      cancel(reason);
      channel.close();
    },
  };
}
