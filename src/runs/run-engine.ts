import { randomUUID } from "node:crypto";
import { GatewayError } from "../errors.js";
import type { Caller } from "../identity/caller.js";
import type { Logger } from "../logger.js";
import type { ChatRequest } from "../providers/types.js";
import type { ModelRegistry, ResolvedModel } from "../registry/model-registry.js";
import { findRun, insertRun } from "../store/runs-repository.js";
import type { Store } from "../store/open-store.js";
import type { RunStatus } from "../store/tables.js";
import { settleWithin } from "../server-lifecycle.js";
import { EventChannel } from "./event-channel.js";
import { executeRun } from "./execute-run.js";
import type { RunEvent, TerminalRunEvent } from "./run-events.js";
import { type RunInput, validateRunInput } from "./run-input.js";

export interface RunHandle {
  runId: string;
  /** The run's events, ending with its terminal event. */
  events: AsyncIterable<RunEvent>;
  /** Cancels the run; its events still end with a cancelled event. */
  cancel(reason: string): void;
  /** Cancels the run and stops delivering events, for a caller that went away. */
  detach(reason: string): void;
}

export interface RunEngineDeps {
  store: Store;
  registry: ModelRegistry;
  logger: Logger;
  now?: () => number;
}

interface ActiveRun {
  controller: AbortController;
  cancelReason: string | undefined;
  channel: EventChannel<RunEvent>;
  done: Promise<TerminalRunEvent>;
}

/** Admits, runs, cancels and records runs. Transport-free: rpc/ drives it. */
export class RunEngine {
  private readonly active = new Map<string, ActiveRun>();
  private accepting = true;
  private readonly now: () => number;

  constructor(private readonly deps: RunEngineDeps) {
    this.now = deps.now ?? Date.now;
  }

  get activeCount(): number {
    return this.active.size;
  }

  /** Validates and admits a run, records it as running, and starts it. Throws before admission. */
  async start(input: RunInput, caller: Caller): Promise<RunHandle> {
    if (!this.accepting) throw new GatewayError("unavailable", "the daemon is shutting down", { code: "shutting_down" });
    validateRunInput(input);
    const resolved = this.deps.registry.resolveChat(input.model);
    checkCapabilities(input, resolved);

    const runId = randomUUID();
    const startedAt = this.now();
    await insertRun(this.deps.store.db, {
      run_id: runId,
      created_at: startedAt,
      finished_at: null,
      status: "running",
      caller_id: caller.id,
      agent_id: input.agentId ?? null,
      session_id: input.sessionId ?? null,
      user_id: input.userId ?? null,
      client_request_id: input.clientRequestId ?? null,
      requested_model: input.model || null,
      model_id: resolved.model.modelId,
      provider_id: resolved.provider.providerId,
      upstream_model: resolved.model.upstreamModel,
      finish_reason: null,
      first_output_ms: null,
      duration_ms: null,
      error_kind: null,
      error_message: null,
    });

    const controller = new AbortController();
    const channel = new EventChannel<RunEvent>();
    const active: ActiveRun = { controller, channel, cancelReason: undefined, done: undefined as never };
    active.done = executeRun(
      {
        runId,
        request: toChatRequest(input, resolved),
        resolved,
        requestedModel: input.model ?? "",
        startedAt,
        signal: controller.signal,
        cancelReason: () => active.cancelReason,
        channel,
      },
      { store: this.deps.store, logger: this.deps.logger, now: this.now },
    ).finally(() => this.active.delete(runId));
    this.active.set(runId, active);

    const cancel = (reason: string) => this.cancelActive(active, reason);
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

  /** Cancels a run from anywhere; waits until its end is recorded. */
  async abort(runId: string, reason: string): Promise<{ aborted: boolean; status: RunStatus }> {
    const active = this.active.get(runId);
    if (active !== undefined) {
      this.cancelActive(active, reason);
      const terminal = await active.done;
      return { aborted: terminal.type === "cancelled", status: statusOf(terminal) };
    }
    const row = await findRun(this.deps.store.db, runId);
    if (row === undefined) throw new GatewayError("not_found", `no run with id "${runId}"`, { param: "run_id", code: "run_not_found" });
    return { aborted: false, status: row.status };
  }

  /**
   * Stops admitting runs, lets in-flight runs finish for up to graceMs, then cancels the rest and
   * waits until every run's end is recorded.
   */
  async drain(graceMs: number): Promise<void> {
    this.accepting = false;
    const pending = () => [...this.active.values()].map((run) => run.done);
    await settleWithin(graceMs, pending());
    for (const run of this.active.values()) this.cancelActive(run, "the daemon is shutting down");
    await Promise.allSettled(pending());
  }

  private cancelActive(run: ActiveRun, reason: string): void {
    if (run.controller.signal.aborted) return;
    run.cancelReason = reason;
    run.controller.abort(new GatewayError("cancelled", reason));
  }
}

function statusOf(terminal: TerminalRunEvent): RunStatus {
  return terminal.type === "completed" ? "succeeded" : terminal.type === "failed" ? "failed" : "cancelled";
}

/** Refuses requests the chosen model cannot serve, naming the feature. */
function checkCapabilities(input: RunInput, { model }: ResolvedModel): void {
  const refuse = (param: string, feature: string) =>
    new GatewayError("invalid_request", `The model '${model.modelId}' does not support ${feature}`, {
      param,
      code: "model_capability_missing",
    });
  if (input.tools.length > 0 && !model.capabilities.toolCalls) throw refuse("tools", "tool calls");
  const wantsJson = input.responseFormat !== undefined && input.responseFormat.kind !== "text";
  if (wantsJson && !model.capabilities.jsonMode) throw refuse("response_format", "JSON mode");
  const hasImages = input.messages.some((message) => message.parts.some((part) => part.type === "image"));
  if (hasImages && !model.capabilities.vision) throw refuse("messages", "image inputs");
}

function toChatRequest(input: RunInput, { model }: ResolvedModel): ChatRequest {
  return {
    upstreamModel: model.upstreamModel,
    messages: input.messages,
    tools: input.tools,
    stop: input.stop,
    ...(input.toolChoice !== undefined && { toolChoice: input.toolChoice }),
    ...(input.responseFormat !== undefined && { responseFormat: input.responseFormat }),
    ...(input.maxTokens !== undefined && { maxTokens: input.maxTokens }),
    ...(input.temperature !== undefined && { temperature: input.temperature }),
    ...(input.topP !== undefined && { topP: input.topP }),
    ...(input.userId !== undefined && { user: input.userId }),
  };
}
