import { setTimeout as sleep } from "node:timers/promises";
import type { ProviderCircuits } from "../registry/provider-circuits.js";
import { retryDelay, shouldFailover } from "../registry/retry-policy.js";
import type { RouteCandidate } from "../registry/route-candidates.js";
import { GatewayError, toGatewayError } from "../shared/errors.js";
import type { ChatRequest } from "../shared/model-types.js";
import type { EventChannel } from "./event-channel.js";
import type { RunEvent, SmartRoutingReport } from "./run-events.js";
import type { RunObserver } from "./run-observer.js";
import type { RunOutput } from "./run-output.js";

export interface AttemptsContext {
  request: ChatRequest;
  /** Kept candidates, in the order to try them. */
  candidates: RouteCandidate[];
  requestedModel: string;
  signal: AbortSignal;
  /** When retries must stop: waits that would end later are not made. */
  deadline: number;
  channel: EventChannel<RunEvent>;
  output: RunOutput;
  smartRouting?: SmartRoutingReport | undefined;
}

export interface AttemptsDeps {
  circuits: ProviderCircuits;
  now: () => number;
  random?: (() => number) | undefined;
  /** Told of each failed attempt and what follows it (the metrics). */
  observer?: RunObserver | undefined;
}

/** Kinds that say the provider itself is failing (as opposed to refusing this request). */
const providerFaults = new Set(["network", "timeout", "transient", "rate_limit", "malformed_response"]);

/**
 * Tries the candidates in order, retrying each per its provider's settings, until one answers.
 * An attempt commits on the upstream's first event: from then on its output reaches the caller, so
 * it is never retried or failed over. Returns the candidate that served; throws the last error.
 */
export async function runAttempts(context: AttemptsContext, deps: AttemptsDeps): Promise<{ served: RouteCandidate; attempts: number }> {
  let attempts = 0;
  let lastError: GatewayError | undefined;
  for (const [index, candidate] of context.candidates.entries()) {
    const circuit = deps.circuits.get(candidate.provider.providerId);
    const { tuning } = candidate.provider;
    const hasNext = index < context.candidates.length - 1;
    for (let attempt = 1; ; attempt++) {
      const permit = circuit.tryAcquire();
      if (!permit.allowed) {
        lastError = circuitOpen(candidate, permit.retryAfterMs);
        await report(context, deps, { attempt: attempts, candidate, error: lastError, next: hasNext ? "failover" : "give_up", backoffMs: 0 });
        break;
      }
      attempts++;
      try {
        await streamAttempt(context, candidate, attempts, deps.now);
        circuit.recordSuccess();
        return { served: candidate, attempts };
      } catch (error) {
        const failure = toGatewayError(error);
        if (context.signal.aborted) {
          circuit.release();
          throw error;
        }
        if (providerFaults.has(failure.kind)) circuit.recordFailure();
        else circuit.recordSuccess();
        if (context.output.committed) throw failure;
        lastError = failure;
        const delay = retryDelay(failure, {
          attempt,
          maxRetries: tuning.maxRetries,
          baseMs: tuning.retryBackoffMs,
          remainingMs: context.deadline - deps.now(),
          ...(deps.random !== undefined && { random: deps.random }),
        });
        const next = delay !== undefined ? "retry" : hasNext && shouldFailover(failure) ? "failover" : "give_up";
        await report(context, deps, { attempt: attempts, candidate, error: failure, next, backoffMs: delay ?? 0 });
        if (next === "give_up") throw failure;
        if (next === "failover") break;
        await sleep(delay, undefined, { signal: context.signal });
      }
    }
  }
  throw lastError ?? new GatewayError("unavailable", "no model can serve this request", { code: "no_candidate" });
}

/** One upstream call, forwarding its events; commits (announces the serving model) on the first. */
async function streamAttempt(context: AttemptsContext, candidate: RouteCandidate, attempts: number, now: () => number): Promise<void> {
  const { output, channel } = context;
  const commit = async () => {
    if (output.committed) return;
    output.committed = true;
    await channel.push({
      type: "routing",
      requestedModel: context.requestedModel,
      selectedModel: candidate.model.modelId,
      providerId: candidate.provider.providerId,
      upstreamModel: candidate.model.upstreamModel,
      reason: attempts > 1 ? `${candidate.reason}; served after ${attempts - 1} failed attempt(s)` : candidate.reason,
      attempts,
      cacheHit: false,
      smart: context.smartRouting,
    });
  };
  const request = { ...context.request, upstreamModel: candidate.model.upstreamModel };
  for await (const event of candidate.provider.client.streamChat(request, context.signal)) {
    await commit();
    if (event.type === "text") {
      output.addText(event.text, now());
      await channel.push({ type: "delta", text: event.text, toolCalls: [] });
    } else if (event.type === "tool_call") {
      const { type: _type, ...delta } = event;
      output.addToolCallDelta(delta, now());
      await channel.push({ type: "delta", text: "", toolCalls: [delta] });
    } else if (event.type === "usage") {
      output.setUsage(event.usage, now());
    } else {
      output.finishReason = event.reason;
    }
  }
  context.signal.throwIfAborted();
  await commit();
}

function circuitOpen(candidate: RouteCandidate, retryAfterMs: number): GatewayError {
  return new GatewayError(
    "circuit_open",
    `provider "${candidate.provider.providerId}" is failing; its circuit is open for another ${Math.ceil(retryAfterMs / 1000)} s`,
    {
      code: "circuit_open",
      retryAfterMs,
    },
  );
}

async function report(
  context: AttemptsContext,
  deps: AttemptsDeps,
  failure: { attempt: number; candidate: RouteCandidate; error: GatewayError; next: "retry" | "failover" | "give_up"; backoffMs: number },
): Promise<void> {
  deps.observer?.attemptFailed(failure.candidate.provider.providerId, failure.candidate.model.modelId, failure.next);
  await context.channel.push({
    type: "attempt_failed",
    attempt: failure.attempt,
    modelId: failure.candidate.model.modelId,
    providerId: failure.candidate.provider.providerId,
    error: failure.error,
    next: failure.next,
    backoffMs: failure.backoffMs,
  });
}
