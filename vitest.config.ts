import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

// Time limits here only stop a test that hangs; nothing is measured against them. Integration tests
// start daemons and CLI processes, which take seconds each on a busy 2-core machine, so the limits
// are far above what the slowest of them needs there.
const hangLimitMs = 120_000;

// Files that replace modules (vi.mock) or assert on a module's first load: they get modules of their
// own. Every other file shares its worker's loaded modules with the files before it (isolate: false),
// which saves re-importing the gateway for each of them, about a quarter of the suite's time; the
// sources keep no module-level state (cores take their dependencies as arguments), so nothing leaks.
const ownModules = [
  "test/unit/tokenizer-lazy.test.ts",
  "test/unit/complexity.test.ts",
  "test/unit/api-keys-revoke-race.test.ts",
  "test/unit/cli-lazy-commands.test.ts",
];

export default defineConfig({
  test: {
    testTimeout: hangLimitMs,
    hookTimeout: hangLimitMs,
    // expect.poll waits for an event; its default of 1 s is a race with a busy machine.
    expect: { poll: { timeout: 30_000 } },
    // Integration suites start real servers; forks keep native modules (better-sqlite3) isolated.
    pool: "forks",
    // Most of an integration file's time is spent waiting for the processes it started, not on the
    // CPU, so even a 2-core machine runs two files at once (vitest's default, cores - 1, runs one).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      { extends: true, test: { name: "shared-modules", include: ["test/**/*.test.ts"], exclude: ownModules, isolate: false } },
      { extends: true, test: { name: "own-modules", include: ownModules, isolate: true } },
    ],
  },
});
