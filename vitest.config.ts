import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

// Time limits here only stop a test that hangs; nothing is measured against them. Integration tests
// start daemons and CLI processes, which take seconds each on a busy 2-core machine, so the limits
// are far above what the slowest of them needs there.
const hangLimitMs = 120_000;

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: hangLimitMs,
    hookTimeout: hangLimitMs,
    // expect.poll waits for an event; its default of 1 s is a race with a busy machine.
    expect: { poll: { timeout: 30_000 } },
    // Integration suites start real servers; forks keep native modules (better-sqlite3) isolated.
    pool: "forks",
    // Most of an integration file's time is spent waiting for the processes it started, not on the
    // CPU, so even a 2-core machine runs two files at once (vitest's default, cores - 1, runs one).
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
