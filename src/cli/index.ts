import { Command } from "commander";
import { gatewayVersion } from "../shared/version.js";
import { CliError, exitCodes } from "./cli-error.js";
import { registerAuthCommand } from "./commands/auth.js";
import { registerConfigCommand } from "./commands/config.js";
import { registerDaemonCommand } from "./commands/daemon.js";
import { registerDiagnosticsCommand } from "./commands/diagnostics.js";
import { registerHealthCommand } from "./commands/health.js";
import { registerKeysCommand } from "./commands/keys.js";
import { registerModelsCommand } from "./commands/models.js";
import { registerRunCommand } from "./commands/run.js";
import { registerUsageCommand } from "./commands/usage.js";
import { registerVaultCommand } from "./commands/vault.js";

/** The `palyra` program: the daemon itself, and the commands that talk to a running one. */
export function buildProgram(): Command {
  const program = new Command("palyra")
    .description("Palyra LLM gateway: run the daemon, or talk to a running one over gRPC")
    .version(gatewayVersion)
    .showSuggestionAfterError();
  registerDaemonCommand(program);
  registerRunCommand(program);
  registerModelsCommand(program);
  registerHealthCommand(program);
  registerDiagnosticsCommand(program);
  registerConfigCommand(program);
  registerKeysCommand(program);
  registerVaultCommand(program);
  registerAuthCommand(program);
  registerUsageCommand(program);
  return program;
}

/** Parses argv and runs the command; failures print one "palyra: …" line and set the exit code. */
export async function runCli(argv: readonly string[] = process.argv): Promise<void> {
  // `palyra … | head` closes the pipe early: the reader has what it wanted, so stop quietly, as Unix tools do.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    process.exit(process.exitCode ?? 0);
  });
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`palyra: ${message}\n`);
    process.exitCode = error instanceof CliError ? error.exitCode : exitCodes.failure;
  }
}
