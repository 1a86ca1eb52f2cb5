import type { ResponseCache } from "../registry/response-cache.js";
import type { RouteCandidate } from "../registry/route-candidates.js";
import type { ChatAnswer } from "./chat-answer.js";
import type { EventChannel } from "./event-channel.js";
import type { RunEvent, SmartRoutingReport } from "./run-events.js";
import type { RunOutput } from "./run-output.js";

/** What the response cache needs to know of a chat run. */
export interface CachedRun {
  /** Set when the response cache may serve or keep this request. */
  cacheKey: string | undefined;
  admitted: RouteCandidate;
  requestedModel: string;
  smartRouting?: SmartRoutingReport | undefined;
  channel: EventChannel<RunEvent>;
}

/** Answers from the response cache when it holds this request; the answer streams like a live one. */
export async function serveFromCache(run: CachedRun, deps: { cache: ResponseCache; now: () => number }, output: RunOutput): Promise<boolean> {
  const cached = run.cacheKey === undefined ? undefined : deps.cache.get(run.cacheKey);
  if (cached === undefined) return false;
  output.committed = true;
  await run.channel.push({
    type: "routing",
    requestedModel: run.requestedModel,
    selectedModel: run.admitted.model.modelId,
    providerId: run.admitted.provider.providerId,
    upstreamModel: run.admitted.model.upstreamModel,
    reason: "served from the response cache",
    attempts: 0,
    cacheHit: true,
    smart: run.smartRouting,
  });
  output.addText(cached.text, deps.now());
  await run.channel.push({ type: "delta", text: cached.text, toolCalls: [] });
  output.setUsage(cached.usage, deps.now());
  output.finishReason = cached.finishReason;
  return true;
}

/** Keeps a deterministic answer from the admitted model for the next identical request. */
export function keepInCache(run: CachedRun, cache: ResponseCache, served: RouteCandidate, answer: ChatAnswer): void {
  if (run.cacheKey === undefined || served.model.modelId !== run.admitted.model.modelId) return;
  const kept = { ...answer, modelId: served.model.modelId, providerId: served.provider.providerId };
  if (cache.isCacheableAnswer(kept)) cache.set(run.cacheKey, kept);
}
