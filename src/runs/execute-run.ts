import { GatewayError, toGatewayError } from "../errors.js";
import { countPromptTokens, countTextTokens } from "../governance/tokens.js";
import type { Logger } from "../logger.js";
import type { ChatRequest, Usage } from "../providers/types.js";
import type { ResolvedModel } from "../registry/model-registry.js";
import type { Store } from "../store/open-store.js";
import type { EventChannel } from "./event-channel.js";
import type { RunEvent, TerminalRunEvent } from "./run-events.js";
import { RunOutput } from "./run-output.js";
import { type RunOutcome, recordRunEnd } from "./run-records.js";

export interface RunExecution {
  runId: string;
  request: ChatRequest;
  resolved: ResolvedModel;
  requestedModel: string;
  startedAt: number;
  signal: AbortSignal;
  /** Why the run was cancelled, once it was. */
  cancelReason: () => string | undefined;
  channel: EventChannel<RunEvent>;
}

export interface ExecuteRunDeps {
  store: Store;
  logger: Logger;
  now: () => number;
}

/**
 * Runs one admitted run to its end: streams the provider's answer into the channel, records the
 * outcome in the store, and only then emits the terminal event, so a caller that saw the end can
 * rely on the record. Never throws: every ending is recorded as succeeded, failed or cancelled.
 */
export async function executeRun(run: RunExecution, deps: ExecuteRunDeps): Promise<TerminalRunEvent> {
  const { model, provider } = run.resolved;
  const output = new RunOutput(run.startedAt);
  let terminal: TerminalRunEvent;
  try {
    await run.channel.push({ type: "accepted", createdAt: new Date(run.startedAt), modelId: model.modelId, providerId: provider.providerId });
    await run.channel.push({
      type: "routing",
      requestedModel: run.requestedModel,
      selectedModel: model.modelId,
      providerId: provider.providerId,
      upstreamModel: model.upstreamModel,
      reason: run.resolved.reason,
    });
    for await (const event of provider.client.streamChat(run.request, run.signal)) {
      if (event.type === "text") {
        output.addText(event.text, deps.now());
        await run.channel.push({ type: "delta", text: event.text, toolCalls: [] });
      } else if (event.type === "tool_call") {
        const { type: _type, ...delta } = event;
        output.addToolCallDelta(delta, deps.now());
        await run.channel.push({ type: "delta", text: "", toolCalls: [delta] });
      } else if (event.type === "usage") {
        output.usage = event.usage;
      } else {
        output.finishReason = event.reason;
      }
    }
    run.signal.throwIfAborted();
    const usage = output.usage ?? estimateUsage(run.request, output);
    terminal = {
      type: "completed",
      finishReason: output.finishReason ?? (output.toolCalls.length > 0 ? "tool_calls" : "stop"),
      usage,
      modelId: model.modelId,
      providerId: provider.providerId,
      attempts: 1,
      text: output.text,
      toolCalls: output.toolCalls,
    };
  } catch (error) {
    const cancelReason = run.cancelReason();
    terminal =
      run.signal.aborted && cancelReason !== undefined
        ? { type: "cancelled", reason: cancelReason }
        : { type: "failed", error: toGatewayError(error) };
  }

  terminal = await record(run, output, terminal, deps);
  if (terminal.type === "completed") await run.channel.push({ type: "usage", usage: terminal.usage });
  await run.channel.push(terminal);
  run.channel.close();
  return terminal;
}

/** Upstreams that report no usage are counted with the tokenizer, and marked estimated. */
function estimateUsage(request: ChatRequest, output: RunOutput): Usage {
  const toolText = output.toolCalls.map((call) => call.name + call.argumentsJson).join("");
  return {
    inputTokens: countPromptTokens(request.messages, request.tools),
    outputTokens: countTextTokens(output.text) + countTextTokens(toolText),
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    estimated: true,
  };
}

async function record(
  run: RunExecution,
  output: RunOutput,
  terminal: TerminalRunEvent,
  deps: ExecuteRunDeps,
): Promise<TerminalRunEvent> {
  const outcome: RunOutcome =
    terminal.type === "completed"
      ? { status: "succeeded", finishReason: terminal.finishReason, usage: terminal.usage, firstOutputMs: output.firstOutputMs, attempts: 1 }
      : terminal.type === "failed"
        ? { status: "failed", usage: output.usage, firstOutputMs: output.firstOutputMs, errorKind: terminal.error.kind, errorMessage: terminal.error.message, attempts: 1 }
        : { status: "cancelled", usage: output.usage, firstOutputMs: output.firstOutputMs, errorKind: "cancelled", errorMessage: terminal.reason, attempts: 1 };
  try {
    await recordRunEnd(deps.store, { runId: run.runId, startedAt: run.startedAt, finishedAt: deps.now() }, outcome);
    return terminal;
  } catch (error) {
    deps.logger.error({ err: error, runId: run.runId }, "could not record the end of a run");
    return { type: "failed", error: new GatewayError("internal", "the run finished but could not be recorded") };
  }
}
