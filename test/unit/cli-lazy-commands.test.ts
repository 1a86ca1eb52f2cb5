import { describe, expect, it, vi } from "vitest";

// A CLI command loads its own module only: `palyra models list` must not pay for the daemon's.
const loaded = vi.hoisted(() => new Set<string>());

vi.mock("../../src/cli/commands/daemon.js", async (importOriginal) => {
  loaded.add("daemon");
  return importOriginal();
});
vi.mock("../../src/cli/commands/models.js", async (importOriginal) => {
  loaded.add("models");
  return importOriginal();
});
vi.mock("../../src/cli/commands/usage.js", async (importOriginal) => {
  loaded.add("usage");
  return importOriginal();
});

const { buildProgram } = await import("../../src/cli/index.js");

describe("the palyra command table", () => {
  it("lists every command for help without loading any command module", async () => {
    const program = await buildProgram([]);
    expect(program.commands.map((command) => command.name())).toEqual(
      expect.arrayContaining(["daemon", "run", "models", "health", "diagnostics", "config", "keys", "vault", "auth", "usage"]),
    );
    expect([...loaded]).toEqual([]);
  });

  it("loads only the invoked command's module, which then has its subcommands", async () => {
    const program = await buildProgram(["models"]);
    expect([...loaded]).toEqual(["models"]);
    const models = program.commands.find((command) => command.name() === "models");
    expect(models?.commands.map((command) => command.name())).toContain("list");
  });
});
