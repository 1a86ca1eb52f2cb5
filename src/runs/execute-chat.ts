import type { ProviderCircuits } from "../registry/provider-circuits.js";
import type { ResponseCache } from "../registry/response-cache.js";
import type { RouteCandidate } from "../registry/route-candidates.js";
import type { ChatRequest } from "../shared/model-types.js";
import type { RunProgress } from "./active-runs.js";
import { answerOf, type ChatAnswer } from "./chat-answer.js";
import { type CachedRun, keepInCache, serveFromCache } from "./chat-cache.js";
import { type SucceededListenerOf, tellSucceeded } from "./chat-succeeded.js";
import { type CloseRunDeps, type ClosingRun, closeRun } from "./close-run.js";
import { runAttempts } from "./run-attempts.js";
import { type RunEnd, servedBy } from "./run-end.js";
import { terminalEvent } from "./run-events.js";
import type { RunObserver } from "./run-observer.js";
import { RunOutput } from "./run-output.js";

/** An admitted chat run, ready to be served. */
export interface ChatExecution extends CachedRun {
  request: ChatRequest;
  /** The admitted (requested or default) model first, then failover candidates, in order. */
  candidates: RouteCandidate[];
  /** When retries must stop. */
  deadline: number;
  /** The run's progress in flight, kept current per upstream chunk (the watchdog and heartbeats read it). */
  progress?: RunProgress | undefined;
  /** Who hears of the run's success (run capture); undefined when nobody listens. */
  succeeded?: SucceededListenerOf | undefined;
}

export interface ExecuteChatDeps extends CloseRunDeps {
  circuits: ProviderCircuits;
  cache: ResponseCache;
  random?: (() => number) | undefined;
  /** Told of cache lookups, retries and failovers (the metrics). */
  observer?: RunObserver | undefined;
}

/**
 * Runs one admitted chat run to its end: serves it from the cache or from the candidates (with
 * retries and failover), closes it out (settled and recorded), and only then emits the terminal
 * event, so a caller that saw the end can rely on the record. Never throws: every ending is recorded.
 */
export async function executeChat(run: ChatExecution & ClosingRun, deps: ExecuteChatDeps): Promise<RunEnd> {
  const output = new RunOutput(run.startedAt, run.progress);
  let served = run.admitted;
  let attempts = 0;
  let cacheHit = false;
  let answer: ChatAnswer | undefined;
  let failure: { error: unknown } | undefined;
  try {
    await run.channel.push({
      type: "accepted",
      createdAt: new Date(run.startedAt),
      modelId: run.admitted.model.modelId,
      providerId: run.admitted.provider.providerId,
    });
    cacheHit = await serveFromCache(run, deps, output);
    if (run.cacheKey !== undefined) deps.observer?.cacheLookup(run.admitted.model.modelId, cacheHit);
    if (!cacheHit) {
      // With every candidate's circuit open, the admitted model is still "tried": its breaker refuses fast.
      const candidates = run.candidates.length > 0 ? run.candidates : [run.admitted];
      ({ served, attempts } = await runAttempts({ ...run, candidates, output }, deps));
    }
    // A run cancelled while its upstream finished ends cancelled: its caller was told so.
    run.signal.throwIfAborted();
    const finished = await answerOf(run.request, output);
    if (!cacheHit) keepInCache(run, deps.cache, served, finished);
    answer = finished;
  } catch (error) {
    failure = { error };
  }

  const end = await closeRun(deps, run, {
    servedBy: servedBy(served),
    attempts,
    cacheHit,
    firstOutputMs: output.firstOutputMs,
    // A finished run is recorded with its answer's usage (estimated if the upstream sent none); the others with what the upstream reported.
    usage: answer?.usage ?? output.usage,
    finishReason: answer?.finishReason,
    failure,
  });
  if (end.status === "succeeded" && answer !== undefined) await run.channel.push({ type: "usage", usage: answer.usage });
  await run.channel.push(terminalEvent(end, answer));
  run.channel.close();
  // After the caller has its terminal event: a listener never delays it.
  if (run.succeeded !== undefined && end.status === "succeeded" && answer !== undefined) tellSucceeded(run.succeeded, end.runId, answer, deps.logger);
  return end;
}
