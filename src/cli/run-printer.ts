import { errorKindToJSON } from "../../gen/grpc-js/palyra/gateway/v1/common.js";
import { RunStreamResponse } from "../../gen/grpc-js/palyra/gateway/v1/gateway.js";
import { printJsonLine } from "./output.js";

/** Renders run events as they arrive: the model's text as plain output, or one JSON line per event. */
export class RunPrinter {
  private printedText = false;
  private endsWithNewline = true;
  /** The run's id, once its first event arrived. */
  runId: string | undefined;

  constructor(private readonly json: boolean) {}

  readonly onEvent = (event: RunStreamResponse): void => {
    this.runId ??= event.runId || undefined;
    if (this.json) return printJsonLine(RunStreamResponse.toJSON(event));
    if (event.delta?.text) this.write(event.delta.text);
    const failedAttempt = event.attemptFailed;
    if (failedAttempt) {
      const kind = errorKindToJSON(failedAttempt.kind)
        .replace(/^ERROR_KIND_/, "")
        .toLowerCase();
      const next =
        failedAttempt.next === "retry"
          ? `retrying in ${failedAttempt.backoffMs} ms`
          : failedAttempt.next === "failover"
            ? "trying the next model"
            : "giving up";
      process.stderr.write(`palyra: attempt ${failedAttempt.attempt} on ${failedAttempt.modelId} (${failedAttempt.providerId}) failed: ${kind}: ${failedAttempt.message}; ${next}
`);
    }
    if (event.toolApprovalRequired) {
      const call = event.toolApprovalRequired.toolCall;
      process.stderr.write(`palyra: the run waits for approval of tool call ${call?.name ?? "?"}, which the CLI cannot give\n`);
    }
    const completed = event.completed;
    if (completed) {
      // A run that streamed no text deltas still has its answer in the completed event.
      if (!this.printedText && completed.text) this.write(completed.text);
      for (const call of completed.toolCalls) this.write(`${this.endsWithNewline ? "" : "\n"}tool call ${call.name} ${call.argumentsJson}\n`);
      if (!this.endsWithNewline || !this.printedText) this.write("\n");
    } else if ((event.failed || event.cancelled) && !this.endsWithNewline) {
      this.write("\n");
    }
  };

  /** Ends a partly printed answer with a newline, when the stream broke off mid-line. */
  finishLine(): void {
    if (!this.json && !this.endsWithNewline) this.write("\n");
  }

  private write(text: string): void {
    process.stdout.write(text);
    this.printedText = true;
    this.endsWithNewline = text.endsWith("\n");
  }
}

/** The one-line reason a run did not complete, or undefined when it did. */
export function describeUnfinishedRun(event: RunStreamResponse): string | undefined {
  if (event.failed) {
    const kind = errorKindToJSON(event.failed.kind).replace(/^ERROR_KIND_/, "");
    return `run ${event.runId} failed: ${kind}: ${event.failed.message}`;
  }
  if (event.cancelled) return `run ${event.runId} was cancelled: ${event.cancelled.reason || "no reason given"}`;
  return undefined;
}
