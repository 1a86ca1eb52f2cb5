import type { FinishReason, ToolCall, Usage } from "../shared/model-types.js";
import type { RunProgress } from "./active-runs.js";

/** A piece of one streamed tool call: its index in the answer, and the id and name with the first piece. */
export interface ToolCallDelta {
  index: number;
  id?: string;
  name?: string;
  argumentsFragment: string;
}

/**
 * Assembles a run's streamed deltas into its complete output, and keeps the run's progress (its
 * signs of life for the watchdog and the heartbeat writer) current: a few field writes per chunk.
 */
export class RunOutput {
  text = "";
  private reportedUsage: Usage | undefined;
  finishReason: FinishReason | undefined;
  /** Milliseconds from start to the first piece of output, once there is one. */
  firstOutputMs: number | undefined;
  /** Set once an upstream answered: from then on output has reached the caller and nothing is retried. */
  committed = false;
  private readonly calls = new Map<number, ToolCall>();

  /** `progress` is the run's own (ActiveRun.progress); without one (a run not tracked) a private one is kept. */
  constructor(
    private readonly startedAt: number,
    private readonly progress: RunProgress = { startedAt, lastAt: startedAt, promptTokens: 0, outputChars: 0, reported: undefined },
  ) {}

  /** What the upstream reported; setting it is a sign of life too. */
  get usage(): Usage | undefined {
    return this.reportedUsage;
  }

  setUsage(usage: Usage, now: number): void {
    this.reportedUsage = usage;
    this.progress.reported = usage;
    this.progress.lastAt = now;
  }

  addText(text: string, now: number): void {
    this.markOutput(now, text.length);
    this.text += text;
  }

  addToolCallDelta(delta: ToolCallDelta, now: number): void {
    this.markOutput(now, delta.argumentsFragment.length);
    const call = this.calls.get(delta.index) ?? { id: "", name: "", argumentsJson: "" };
    if (delta.id) call.id = delta.id;
    if (delta.name) call.name = delta.name;
    call.argumentsJson += delta.argumentsFragment;
    this.calls.set(delta.index, call);
  }

  get toolCalls(): ToolCall[] {
    return [...this.calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
  }

  private markOutput(now: number, chars: number): void {
    this.firstOutputMs ??= now - this.startedAt;
    this.progress.lastAt = now;
    this.progress.outputChars += chars;
  }
}
