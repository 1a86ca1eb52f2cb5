import type { FinishReason, ToolCall, Usage } from "../shared/model-types.js";

/** A piece of one streamed tool call: its index in the answer, and the id and name with the first piece. */
export interface ToolCallDelta {
  index: number;
  id?: string;
  name?: string;
  argumentsFragment: string;
}

/** Assembles a run's streamed deltas into its complete output. */
export class RunOutput {
  text = "";
  usage: Usage | undefined;
  finishReason: FinishReason | undefined;
  /** Milliseconds from start to the first piece of output, once there is one. */
  firstOutputMs: number | undefined;
  /** Set once an upstream answered: from then on output has reached the caller and nothing is retried. */
  committed = false;
  private readonly calls = new Map<number, ToolCall>();

  constructor(private readonly startedAt: number) {}

  addText(text: string, now: number): void {
    this.markOutput(now);
    this.text += text;
  }

  addToolCallDelta(delta: ToolCallDelta, now: number): void {
    this.markOutput(now);
    const call = this.calls.get(delta.index) ?? { id: "", name: "", argumentsJson: "" };
    if (delta.id) call.id = delta.id;
    if (delta.name) call.name = delta.name;
    call.argumentsJson += delta.argumentsFragment;
    this.calls.set(delta.index, call);
  }

  get toolCalls(): ToolCall[] {
    return [...this.calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
  }

  private markOutput(now: number): void {
    this.firstOutputMs ??= now - this.startedAt;
  }
}
