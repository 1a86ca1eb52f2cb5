/**
 * A failure the CLI reports as one line on stderr ("palyra: <message>") and turns into an exit code.
 * Commands throw it instead of printing and exiting themselves, so exiting happens in one place.
 */
export class CliError extends Error {
  override readonly name = "CliError";

  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Exit codes the CLI uses beyond 0 (success) and 1 (the command failed). */
export const exitCodes = {
  failure: 1,
  /** The daemon could not start: bad flags, bad config, a port in use. */
  startup: 2,
  /** The user interrupted a run with Ctrl-C (128 + SIGINT, as shells do). */
  interrupted: 130,
} as const;
