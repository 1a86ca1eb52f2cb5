import { describe, expect, it } from "vitest";
import { duplicateSignalWindowMs, stopSignalPolicy } from "../../src/cli/stop-signals.js";

describe("stop signals", () => {
  it("stop on the first, ignore the same request delivered twice, and give up on a later one", () => {
    let now = 10_000;
    const actionFor = stopSignalPolicy(() => now);
    expect(actionFor("SIGINT")).toBe("stop");
    // Ctrl-C under npm start: the terminal's SIGINT and npm's forwarded copy arrive together.
    now += 5;
    expect(actionFor("SIGINT")).toBe("ignore");
    now += duplicateSignalWindowMs;
    expect(actionFor("SIGTERM")).toBe("force");
  });
});
