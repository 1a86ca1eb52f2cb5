import { GatewayError } from "../shared/errors.js";
import type { Caller } from "../identity/caller.js";
import type { Logger } from "../shared/logger.js";
import type { EmbeddingsResult, TranscriptionResult, Usage } from "../shared/model-types.js";
import type { ModelRegistry, ResolvedModel } from "../registry/model-registry.js";
import type { Store } from "../store/open-store.js";
import { findRun } from "../store/runs-repository.js";
import type { RunKind, RunStatus } from "../store/tables.js";
import { chatBudgetQuery } from "../governance/budgets/chat-budget-query.js";
import { promptTokenCounter, textsTokenCounter, type TokenCount } from "../shared/tokens.js";
import type { ProviderCircuits } from "../registry/provider-circuits.js";
import type { ResponseCache } from "../registry/response-cache.js";
import { needsOf, planCandidates, type RouteCandidate } from "../registry/route-candidates.js";
import { checkCapabilities, checkContextWindow } from "./admission-checks.js";
import { EventChannel } from "./event-channel.js";
import { executeRun } from "./execute-run.js";
import { endOfTerminal } from "./run-end.js";
import type { RunEvent } from "./run-events.js";
import { ActiveRuns } from "./active-runs.js";
import { admitRun, type BudgetTerms, hashRequest, servingModels, unaryBudgetQuery } from "./run-admission.js";
import type { RunInput } from "../shared/run-input.js";
import { validateRunInput } from "./run-input.js";
import { routingRecord, smartRoutingEvent, toChatRequest, unsupportedBy, withCallerAgent } from "./run-request.js";
import type { BudgetOutcome, RunCost, RunGovernance, SmartRouter, SmartRoutingDecision } from "../governance/run-governance.js";
import type { RunAttribution } from "./run-records.js";
import { type EmbedInput, type TranscribeInput, validateEmbedInput, validateTranscribeInput } from "./unary-input.js";
import { executeUnaryRun } from "./unary-run.js";

export interface RunHandle {
  runId: string;
  /** The run's events, ending with its terminal event. */
  events: AsyncIterable<RunEvent>;
  /** Cancels the run; its events still end with a cancelled event. */
  cancel(reason: string): void;
  /** Cancels the run and stops delivering events, for a caller that went away. */
  detach(reason: string): void;
}

/** The answer of a one-shot run (embeddings, transcription) and the run that produced it. */
export interface UnaryRunResult<T> {
  runId: string;
  resolved: ResolvedModel;
  result: T;
  cost: RunCost;
}

export interface RunEngineDeps {
  store: Store;
  /** Budgets and pricing: admission before dispatch, settlement at the end. */
  governance?: RunGovernance;
  /** Smart routing by prompt complexity. */
  router?: SmartRouter;
  registry: ModelRegistry;
  logger: Logger;
  circuits: ProviderCircuits;
  cache: ResponseCache;
  /** 0 healthy or unknown, 1 degraded, 2 down: degraded providers are tried later. */
  healthRankOf?: (providerId: string) => number;
  /** Told the usage of every run once it is recorded (per-caller token limits count it). */
  usageObserver?: UsageObserver;
  now?: () => number;
  random?: () => number;
}

/** Receives the recorded usage of each run, with the caller who made it. */
export type UsageObserver = (caller: Caller, usage: Usage) => void;

/** Admits, runs, cancels and records runs. Transport-free: rpc/ drives it. */
export class RunEngine {
  private readonly active = new ActiveRuns();
  private readonly now: () => number;

  /** What admitting a run needs: the ledger, governance and the clock. */
  private readonly admission: Parameters<typeof admitRun>[0];

  constructor(private readonly deps: RunEngineDeps) {
    this.now = deps.now ?? Date.now;
    this.admission = { store: deps.store, governance: deps.governance, now: this.now };
  }

  get activeCount(): number {
    return this.active.count;
  }

  /** Validates and admits a chat run, records it as running, and starts it. Throws before admission. */
  async start(input: RunInput, caller: Caller): Promise<RunHandle> {
    this.active.checkAccepting();
    input = withCallerAgent(input, caller);
    validateRunInput(input);
    // Counted once for every question asked of it (context window, failover, smart routing, budgets).
    const promptTokens = await promptTokenCounter(input.messages, input.tools);
    const smart = await this.smartRoute(input, caller, promptTokens);
    const resolved = this.resolveChat(input, smart);
    checkCapabilities(input, resolved);
    checkContextWindow(input, resolved, promptTokens);
    const request = toChatRequest(input, resolved);
    const plan = this.planRoute(input, resolved, promptTokens);
    const admitted = plan[0] as RouteCandidate;
    const cache = this.deps.cache;
    const cacheKey =
      !input.bypassCache && cache.isCacheableRequest(request, resolved.model.cacheUnsetTemperature) ? cache.keyFor(resolved.model.modelId, request) : undefined;
    const budget: BudgetTerms = {
      // Failover may move the run to any kept candidate: budgets judge each, and keep it to those they can afford.
      query: chatBudgetQuery(input, caller, servingModels(plan, resolved), promptTokens),
      requestHash: () => cache.keyFor(resolved.model.modelId, request),
      approvalId: input.approvalId,
    };
    const { runId, startedAt, settle, affordable } = await admitRun(this.admission, {
      kind: "chat",
      resolved,
      attribution: { ...input, caller, requestedModel: input.model },
      budget,
      routing: smart && routingRecord(smart),
    });
    const active = this.active.begin(caller);

    const channel = new EventChannel<RunEvent>();
    const execution = executeRun(
      {
        runId,
        request,
        // Failover keeps to the candidates the run's budgets can afford.
        candidates: plan.filter((candidate) => candidate.kept && (affordable === undefined || affordable.includes(candidate.model.modelId))),
        admitted,
        requestedModel: input.model ?? "",
        startedAt,
        deadline: startedAt + resolved.provider.tuning.requestTimeoutMs,
        cacheKey,
        smartRouting: smart && smartRoutingEvent(smart),
        signal: active.controller.signal,
        cancelReason: () => active.cancelReason,
        channel,
      },
      {
        store: this.deps.store,
        logger: this.deps.logger,
        now: this.now,
        circuits: this.deps.circuits,
        cache,
        onUsage: this.usageObserverFor(caller),
        settle,
        ...(this.deps.random && { random: this.deps.random }),
      },
    );
    this.active.track(runId, active, execution.then(endOfTerminal));

    const cancel = (reason: string) => this.active.cancel(active, reason);
    return {
      runId,
      events: channel,
      cancel,
      detach: (reason) => {
        cancel(reason);
        channel.close();
      },
    };
  }

  /**
   * What routing would do with a chat request, without running it: the candidates kept and dropped
   * with reasons and order, whether the cache would answer, smart routing's decision (undefined when
   * off) and what budgets would decide (undefined without governance). Invalid requests fail as a run would.
   */
  async explainRoute(
    input: RunInput,
    caller: Caller,
  ): Promise<{ plan: RouteCandidate[]; failover: boolean; cacheHit: boolean; smart: SmartRoutingDecision | undefined; budget: BudgetOutcome | undefined }> {
    input = withCallerAgent(input, caller);
    validateRunInput(input);
    const promptTokens = await promptTokenCounter(input.messages, input.tools);
    const smart = await this.smartRoute(input, caller, promptTokens);
    const resolved = this.resolveChat(input, smart);
    const plan = this.planRoute(input, resolved, promptTokens);
    const admitted = plan[0] as RouteCandidate;
    try {
      checkCapabilities(input, resolved);
      checkContextWindow(input, resolved, promptTokens);
    } catch (error) {
      admitted.kept = false;
      admitted.reason = (error as Error).message;
    }
    const budget = await this.deps.governance?.preview(chatBudgetQuery(input, caller, servingModels(plan, resolved), promptTokens));
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
    const cache = this.deps.cache;
    const cacheable = !input.bypassCache && cache.isCacheableRequest(request, resolved.model.cacheUnsetTemperature);
    return {
      plan,
      failover: this.deps.registry.defaults.failoverEnabled && !input.disableFailover,
      cacheHit: cacheable && cache.peek(cache.keyFor(resolved.model.modelId, request)),
      smart,
      budget,
    };
  }

  /** Smart routing's decision for a chat run; undefined when it is off, so nothing about it is recorded. */
  private async smartRoute(input: RunInput, caller: Caller, promptTokens: TokenCount): Promise<SmartRoutingDecision | undefined> {
    const decision = await this.deps.router?.decide(input, { caller, promptTokens });
    return decision?.mode === "off" ? undefined : decision;
  }

  /** The model a chat run uses: smart routing's override when it enforces one, else the requested (or default) model. */
  private resolveChat(input: RunInput, smart: SmartRoutingDecision | undefined): ResolvedModel {
    const override = smart?.overrideModelId;
    if (override === undefined) return this.deps.registry.resolve(input.model, "chat");
    return { ...this.deps.registry.resolve(override, "chat"), reason: `chosen by smart routing (enforced, complexity ${smart?.complexity})` };
  }

  /** The candidates a chat request would be tried on, kept and dropped, in order. */
  private planRoute(input: RunInput, resolved: ResolvedModel, promptTokens: TokenCount): RouteCandidate[] {
    const healthRankOf = this.deps.healthRankOf ?? (() => 0);
    return planCandidates({
      registry: this.deps.registry,
      primary: resolved,
      needs: needsOf(input, promptTokens),
      failover: this.deps.registry.defaults.failoverEnabled && !input.disableFailover,
      circuitOf: (providerId) => this.deps.circuits.snapshot(providerId),
      healthRankOf,
    });
  }

  /** Embeds a batch of texts as one recorded run. Aborting `signal` (the caller's) cancels it. */
  async embed(input: EmbedInput, caller: Caller, signal: AbortSignal): Promise<UnaryRunResult<EmbeddingsResult>> {
    this.active.checkAccepting();
    input = withCallerAgent(input, caller);
    validateEmbedInput(input);
    const resolved = this.deps.registry.resolve(input.model, "embeddings");
    const { client } = resolved.provider;
    if (client.embed === undefined) throw unsupportedBy(resolved, "embeddings");
    const embed = client.embed.bind(client);
    const request = {
      upstreamModel: resolved.model.upstreamModel,
      inputs: input.inputs,
      ...(input.dimensions !== undefined && { dimensions: input.dimensions }),
      ...(input.userId && { user: input.userId }),
      ...(input.agentId && { agentId: input.agentId }),
    };
    const attribution = { ...input, caller, requestedModel: input.model };
    const inputTokens = await textsTokenCounter(() => input.inputs);
    const budget: BudgetTerms = {
      query: unaryBudgetQuery(attribution, resolved, () => ({ input: inputTokens(), output: 0 })),
      requestHash: () => hashRequest("embeddings", resolved.model.modelId, input.inputs, input.dimensions),
    };
    return this.runUnary("embeddings", resolved, attribution, signal, budget, async (runSignal) => {
      const result = await embed(request, runSignal);
      return { result, usage: result.usage };
    });
  }

  /** Transcribes one audio file as one recorded run. Aborting `signal` (the caller's) cancels it. */
  async transcribe(input: TranscribeInput, caller: Caller, signal: AbortSignal): Promise<UnaryRunResult<TranscriptionResult>> {
    this.active.checkAccepting();
    input = withCallerAgent(input, caller);
    validateTranscribeInput(input);
    const resolved = this.deps.registry.resolve(input.model, "audio_transcription");
    const { client } = resolved.provider;
    if (client.transcribe === undefined) throw unsupportedBy(resolved, "audio transcription");
    const transcribe = client.transcribe.bind(client);
    const request = {
      upstreamModel: resolved.model.upstreamModel,
      audio: input.audio,
      fileName: input.fileName,
      mimeType: input.mimeType,
      responseFormat: input.responseFormat,
      ...(input.language && { language: input.language }),
      ...(input.prompt && { prompt: input.prompt }),
      ...(input.temperature !== undefined && { temperature: input.temperature }),
      ...(input.agentId && { agentId: input.agentId }),
    };
    // Audio is priced per request (and by the tokens the upstream reports); it has no token projection.
    const attribution = { ...input, caller, requestedModel: input.model };
    const budget: BudgetTerms = {
      query: unaryBudgetQuery(attribution, resolved, () => ({ input: 0, output: 0 })),
      requestHash: () => hashRequest("audio_transcription", resolved.model.modelId, input.fileName, input.audio.byteLength, input.language, input.prompt),
    };
    return this.runUnary("audio_transcription", resolved, attribution, signal, budget, async (runSignal) => {
      const result = await transcribe(request, runSignal);
      return { result, usage: result.usage };
    });
  }

  /** Cancels a run from any connection (its own caller's, or any for the admin) and waits until its end is recorded. */
  abort(runId: string, reason: string, caller: Caller): Promise<{ aborted: boolean; status: RunStatus }> {
    return this.active.abort(runId, reason, caller, async (id) => {
      const row = await findRun(this.deps.store.db, id);
      return row && { callerId: row.caller_id, status: row.status };
    });
  }

  /** Stops admitting runs, lets in-flight runs finish for up to graceMs, then cancels the rest and waits until every end is recorded. */
  drain(graceMs: number): Promise<void> {
    return this.active.drain(graceMs);
  }

  private async runUnary<T>(
    kind: RunKind,
    resolved: ResolvedModel,
    attribution: RunAttribution,
    callerSignal: AbortSignal,
    budget: BudgetTerms,
    work: (signal: AbortSignal) => Promise<{ result: T; usage: Usage | undefined }>,
  ): Promise<UnaryRunResult<T>> {
    const { runId, startedAt, settle } = await admitRun(this.admission, { kind, resolved, attribution, budget });
    const active = this.active.begin(attribution.caller);
    const onCallerGone = () => this.active.cancel(active, "the client disconnected");
    callerSignal.addEventListener("abort", onCallerGone, { once: true });
    const execution = executeUnaryRun(
      { runId, startedAt, signal: active.controller.signal, cancelReason: () => active.cancelReason, work },
      {
        store: this.deps.store,
        now: this.now,
        logger: this.deps.logger,
        onUsage: this.usageObserverFor(attribution.caller),
        settle,
        servedBy: { modelId: resolved.model.modelId, providerId: resolved.provider.providerId, upstreamModel: resolved.model.upstreamModel },
      },
    ).finally(() => callerSignal.removeEventListener("abort", onCallerGone));
    this.active.track(runId, active, execution.then(({ end }) => end));

    const { end, result, cost } = await execution;
    if (end.status === "failed") throw end.error;
    if (end.status === "cancelled" || result === undefined) throw new GatewayError("cancelled", end.status === "cancelled" ? end.reason : "no result");
    return { runId, resolved, result, cost };
  }

  private usageObserverFor(caller: Caller): ((usage: Usage) => void) | undefined {
    const observer = this.deps.usageObserver;
    return observer && ((usage) => observer(caller, usage));
  }
}
