import type { GatewayError } from "../shared/errors.js";
import type { TerminalRunEvent } from "./run-events.js";

/** How a run ended, whatever its kind. */
export type RunEnd =
  | { status: "succeeded" }
  | { status: "failed"; error: GatewayError }
  | { status: "cancelled"; reason: string };

export function endOfTerminal(terminal: TerminalRunEvent): RunEnd {
  if (terminal.type === "completed") return { status: "succeeded" };
  if (terminal.type === "failed") return { status: "failed", error: terminal.error };
  return { status: "cancelled", reason: terminal.reason };
}
