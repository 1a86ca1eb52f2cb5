/** What a stop signal asks of the daemon. */
export type SignalAction = "stop" | "ignore" | "force";

/**
 * A second signal within this window is the same request delivered twice: Ctrl-C under `npm start`
 * reaches the daemon from the terminal (its process group) and again from npm, which forwards it.
 */
export const duplicateSignalWindowMs = 1000;

/**
 * Decides what each stop signal means: the first stops gracefully (in-flight runs get the grace
 * period), a repeat within the window is ignored, a later one gives up at once.
 */
export function stopSignalPolicy(now: () => number = Date.now): (signal: NodeJS.Signals) => SignalAction {
  let firstAt: number | undefined;
  return () => {
    const at = now();
    if (firstAt === undefined) {
      firstAt = at;
      return "stop";
    }
    return at - firstAt < duplicateSignalWindowMs ? "ignore" : "force";
  };
}
