import { GatewayError, toGatewayError } from "../shared/errors.js";
import { countPromptTokens, countTextsTokens } from "../shared/tokens.js";
import type { Logger } from "../shared/logger.js";
import type { ChatRequest, Usage } from "../shared/model-types.js";
import type { ProviderCircuits } from "../registry/provider-circuits.js";
import type { ResponseCache } from "../registry/response-cache.js";
import type { RouteCandidate } from "../registry/route-candidates.js";
import type { Store } from "../store/open-store.js";
import type { EventChannel } from "./event-channel.js";
import { runAttempts } from "./run-attempts.js";
import type { RunEvent, TerminalRunEvent } from "./run-events.js";
import { RunOutput } from "./run-output.js";
import { closeRun, type SettleRun } from "./close-run.js";
import { type RunOutcome, recordRunEnd } from "./run-records.js";

export interface RunExecution {
  runId: string;
  request: ChatRequest;
  /** The admitted (requested or default) model first, then failover candidates, in order. */
  candidates: RouteCandidate[];
  /** The model the run was admitted with; reported in the accepted event. */
  admitted: RouteCandidate;
  requestedModel: string;
  startedAt: number;
  /** When retries must stop. */
  deadline: number;
  /** Set when the response cache may serve or keep this request. */
  cacheKey: string | undefined;
  /** Smart routing's decision, reported with the routing event. */
  smartRouting?: { mode: string; complexity: number; recommendedModel: string; dryRunChange: string } | undefined;
  signal: AbortSignal;
  /** Why the run was cancelled, once it was. */
  cancelReason: () => string | undefined;
  channel: EventChannel<RunEvent>;
}

export interface ExecuteRunDeps {
  store: Store;
  logger: Logger;
  now: () => number;
  circuits: ProviderCircuits;
  cache: ResponseCache;
  random?: () => number;
  /** Told the recorded usage, before the terminal event goes out. */
  onUsage?: ((usage: Usage) => void) | undefined;
  /** Charges the run against its budget reservation and prices it (usage governance). */
  settle?: SettleRun | undefined;
}

/**
 * Runs one admitted run to its end: serves it from the cache or from the candidates (with retries
 * and failover), records the outcome, and only then emits the terminal event, so a caller that saw
 * the end can rely on the record. Never throws: every ending is recorded.
 */
export async function executeRun(run: RunExecution, deps: ExecuteRunDeps): Promise<TerminalRunEvent> {
  const output = new RunOutput(run.startedAt);
  let served: RouteCandidate = run.admitted;
  let attempts = 0;
  let cacheHit = false;
  let terminal: TerminalRunEvent;
  try {
    await run.channel.push({
      type: "accepted",
      createdAt: new Date(run.startedAt),
      modelId: run.admitted.model.modelId,
      providerId: run.admitted.provider.providerId,
    });
    cacheHit = await serveFromCache(run, deps, output);
    if (!cacheHit) {
      // With every candidate's circuit open, the admitted model is still "tried": its breaker refuses fast.
      const candidates = run.candidates.length > 0 ? run.candidates : [run.admitted];
      ({ served, attempts } = await runAttempts({ ...run, candidates, output }, deps));
    }
    run.signal.throwIfAborted();
    const usage = output.usage ?? (await estimateUsage(run.request, output));
    terminal = {
      type: "completed",
      finishReason: output.finishReason ?? (output.toolCalls.length > 0 ? "tool_calls" : "stop"),
      usage,
      modelId: served.model.modelId,
      providerId: served.provider.providerId,
      attempts,
      text: output.text,
      toolCalls: output.toolCalls,
      costUsd: 0,
      costEstimated: false,
    };
    if (!cacheHit) keepInCache(run, deps, served, terminal);
  } catch (error) {
    const cancelReason = run.cancelReason();
    terminal =
      run.signal.aborted && cancelReason !== undefined
        ? { type: "cancelled", reason: cancelReason }
        : { type: "failed", error: toGatewayError(error) };
  }

  terminal = await record(run, { output, terminal, served, attempts, cacheHit }, deps);
  if (terminal.type === "completed") await run.channel.push({ type: "usage", usage: terminal.usage });
  await run.channel.push(terminal);
  run.channel.close();
  return terminal;
}

/** Answers from the response cache when it holds this request; the answer streams like a live one. */
async function serveFromCache(run: RunExecution, deps: ExecuteRunDeps, output: RunOutput): Promise<boolean> {
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
  output.usage = cached.usage;
  output.finishReason = cached.finishReason;
  return true;
}

/** Keeps a deterministic answer from the admitted model for the next identical request. */
function keepInCache(run: RunExecution, deps: ExecuteRunDeps, served: RouteCandidate, completed: Extract<TerminalRunEvent, { type: "completed" }>): void {
  if (run.cacheKey === undefined || served.model.modelId !== run.admitted.model.modelId) return;
  const answer = {
    text: completed.text,
    toolCalls: completed.toolCalls,
    finishReason: completed.finishReason,
    usage: completed.usage,
    modelId: served.model.modelId,
    providerId: served.provider.providerId,
  };
  if (deps.cache.isCacheableAnswer(answer)) deps.cache.set(run.cacheKey, answer);
}

/** Upstreams that report no usage are counted with the tokenizer, and marked estimated. */
async function estimateUsage(request: ChatRequest, output: RunOutput): Promise<Usage> {
  const toolTexts = output.toolCalls.flatMap((call) => [call.name, call.argumentsJson]);
  return {
    inputTokens: await countPromptTokens(request.messages, request.tools),
    outputTokens: await countTextsTokens([output.text, ...toolTexts]),
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    estimated: true,
  };
}

const noUsage: Usage = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, estimated: false };

async function record(
  run: RunExecution,
  ending: { output: RunOutput; terminal: TerminalRunEvent; served: RouteCandidate; attempts: number; cacheHit: boolean },
  deps: ExecuteRunDeps,
): Promise<TerminalRunEvent> {
  const { output, terminal, served, attempts, cacheHit } = ending;
  const common = {
    firstOutputMs: output.firstOutputMs,
    attempts,
    cacheHit,
    servedBy: { modelId: served.model.modelId, providerId: served.provider.providerId, upstreamModel: served.model.upstreamModel },
  };
  // A cache hit cost no upstream tokens; failed and cancelled runs are charged what the upstream reported.
  const outcome: RunOutcome =
    terminal.type === "completed"
      ? { ...common, status: "succeeded", finishReason: terminal.finishReason, usage: cacheHit ? noUsage : terminal.usage }
      : terminal.type === "failed"
        ? { ...common, status: "failed", usage: output.usage, errorKind: terminal.error.kind, errorMessage: terminal.error.message }
        : { ...common, status: "cancelled", usage: output.usage, errorKind: "cancelled", errorMessage: terminal.reason };
  if (outcome.usage !== undefined) deps.onUsage?.(outcome.usage);
  try {
    const times = { runId: run.runId, startedAt: run.startedAt, finishedAt: deps.now() };
    const settlement = { status: outcome.status, ...common.servedBy, usage: outcome.usage, cacheHit };
    const cost = await closeRun({ db: deps.store.db, settle: deps.settle, logger: deps.logger }, settlement, (db, cost) => recordRunEnd(db, times, { ...outcome, ...cost }));
    return terminal.type === "completed" ? { ...terminal, ...cost } : terminal;
  } catch (error) {
    deps.logger.error({ err: error, runId: run.runId }, "could not record the end of a run");
    return { type: "failed", error: new GatewayError("internal", "the run finished but could not be recorded") };
  }
}
