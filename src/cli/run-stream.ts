import type { CallOptions } from "@grpc/grpc-js";
import type { RunStreamResponse, StartRun } from "../../gen/grpc-js/palyra/gateway/v1/gateway.js";
import type { DaemonClients } from "./grpc-clients.js";

/** How a run streamed through the CLI ended. */
export type RunOutcome =
  /** The run's terminal event (completed, failed or cancelled) arrived. */
  | { kind: "terminal"; event: RunStreamResponse; interrupted: boolean }
  /** The user pressed Ctrl-C twice and did not wait for the cancellation to be confirmed. */
  | { kind: "abandoned" };

export function isTerminalEvent(event: RunStreamResponse): boolean {
  return event.completed !== undefined || event.failed !== undefined || event.cancelled !== undefined;
}

/**
 * Runs one RunStream: writes `start`, hands each event to onEvent, and resolves with the terminal
 * event. The request side stays open until then, because Ctrl-C is answered with a `cancel` request
 * on the same stream; a second Ctrl-C gives up waiting for the `cancelled` event.
 * Rejects with the grpc-js ServiceError when the call fails (unreachable daemon, NOT_FOUND model, …).
 */
export function streamRun(
  clients: DaemonClients,
  start: StartRun,
  onEvent: (event: RunStreamResponse) => void,
  options: Partial<CallOptions> = {},
): Promise<RunOutcome> {
  const call = clients.gateway().runStream(clients.metadata(), options);
  return new Promise<RunOutcome>((resolve, reject) => {
    let terminal: RunStreamResponse | undefined;
    let interrupted = false;
    let settled = false;
    const settle = (finish: () => void) => {
      if (settled) return;
      settled = true;
      process.off("SIGINT", onInterrupt);
      finish();
    };
    const onInterrupt = () => {
      if (terminal !== undefined) return;
      if (interrupted) {
        settle(() => resolve({ kind: "abandoned" }));
        call.cancel();
        return;
      }
      interrupted = true;
      process.stderr.write("palyra: cancelling the run (press Ctrl-C again to quit without waiting)\n");
      call.write({ cancel: { reason: "cancelled by the user (Ctrl-C)" } });
    };
    process.on("SIGINT", onInterrupt);

    call.on("data", (event: RunStreamResponse) => {
      if (settled) return;
      onEvent(event);
      if (terminal === undefined && isTerminalEvent(event)) {
        terminal = event;
        call.end();
      }
    });
    call.on("error", (error: Error) => {
      const event = terminal;
      settle(() => (event ? resolve({ kind: "terminal", event, interrupted }) : reject(error)));
    });
    call.on("end", () => {
      const event = terminal;
      settle(() => (event ? resolve({ kind: "terminal", event, interrupted }) : reject(new Error("the daemon ended the run stream before the run finished"))));
    });
    call.write({ start });
  });
}
