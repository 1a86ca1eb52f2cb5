import type { Logger } from "../shared/logger.js";
import type { RunInput } from "../shared/run-input.js";
import type { ChatAnswer } from "./chat-answer.js";

/** A chat run that succeeded, recorded: its input as run (bound to its caller's agent) and its answer. */
export interface SucceededChat {
  runId: string;
  input: Readonly<RunInput>;
  answer: Readonly<ChatAnswer>;
}

/**
 * Told of every chat run that succeeded, after its end is recorded and its caller was sent the
 * terminal event (memory's run capture listens). Must return at once: slow work goes on in the
 * background, and a rejected promise or a throw is logged, never passed on to the run.
 */
export type ChatSucceededListener = (chat: SucceededChat) => void | Promise<void>;

/** What a run carries when a listener is set: nothing is allocated per run when none is. */
export interface SucceededListenerOf {
  listener: ChatSucceededListener;
  input: RunInput;
}

/** Tells the listener; its failure is logged and goes no further. */
export function tellSucceeded(of: SucceededListenerOf, runId: string, answer: ChatAnswer, logger: Logger): void {
  const failed = (error: unknown) => logger.error({ err: error, runId }, "a listener of succeeded chat runs failed");
  try {
    const pending = of.listener({ runId, input: of.input, answer });
    if (pending !== undefined) pending.catch(failed);
  } catch (error) {
    failed(error);
  }
}
