import { Command } from "commander";
import { gatewayVersion } from "../shared/version.js";
import { CliError, exitCodes } from "./cli-error.js";

/** Adds a command's arguments, options, subcommands and action to the command it is given. */
type CommandSetup = (command: Command) => void;

interface TopLevelCommand {
  name: string;
  description: string;
  /** Imports the command's module only when that command runs (or its help is asked for). */
  load: () => Promise<CommandSetup>;
}

// Every command's module, and through it the generated gRPC clients or the daemon itself, is
// imported only when that command is the one to run: `palyra models list` loads models.ts and the
// client, never the daemon's modules, and `palyra --help` needs only these names and descriptions.
const commands: TopLevelCommand[] = [
  {
    name: "daemon",
    description: "run the gateway daemon in the foreground (logs JSON lines to stdout)",
    load: async () => (await import("./commands/daemon.js")).registerDaemonCommand,
  },
  {
    name: "run",
    description: "run a prompt and stream the answer (Ctrl-C cancels the run)",
    load: async () => (await import("./commands/run.js")).registerRunCommand,
  },
  { name: "models", description: "inspect the model registry", load: async () => (await import("./commands/models.js")).registerModelsCommand },
  {
    name: "health",
    description: "show whether the daemon is up, its version and uptime",
    load: async () => (await import("./commands/health.js")).registerHealthCommand,
  },
  {
    name: "diagnostics",
    description: "show a snapshot of the daemon's state (never secrets)",
    load: async () => (await import("./commands/diagnostics.js")).registerDiagnosticsCommand,
  },
  {
    name: "config",
    description: "check a config file, or inspect the running daemon's configuration",
    load: async () => (await import("./commands/config.js")).registerConfigCommand,
  },
  {
    name: "keys",
    description: "manage client API keys: credentials the daemon issues to its callers",
    load: async () => (await import("./commands/keys.js")).registerKeysCommand,
  },
  {
    name: "vault",
    description: "manage the daemon's encrypted secrets (referenced as vault:NAME)",
    load: async () => (await import("./commands/vault.js")).registerVaultCommand,
  },
  {
    name: "auth",
    description: "manage auth profiles: the credentials the daemon uses with upstream providers",
    load: async () => (await import("./commands/auth.js")).registerAuthCommand,
  },
  {
    name: "tasks",
    description: "the background queue: run a prompt later, see how queued work ended",
    load: async () => (await import("./commands/tasks.js")).registerTasksCommand,
  },
  {
    name: "cron",
    description: "schedule agent runs: add, list, show, runs, run, enable, disable, remove",
    load: async () => (await import("./commands/cron.js")).registerCronCommand,
  },
  {
    name: "doctor",
    description: "diagnose the config, state directory, keys, database, disk, ports and daemon; --repair fixes, --rollback undoes",
    load: async () => (await import("./commands/doctor.js")).registerDoctorCommand,
  },
  {
    name: "memory",
    description: "agent memory journals: retain, search, list, show, delete, status",
    load: async () => (await import("./commands/memory.js")).registerMemoryCommand,
  },
  {
    name: "incidents",
    description: "what the self-healing watchdog found: stalled runs, job runs and tasks",
    load: async () => (await import("./commands/incidents.js")).registerIncidentsCommand,
  },
  {
    name: "usage",
    description: "prices, and where tokens and money went",
    load: async () => (await import("./commands/usage.js")).registerUsageCommand,
  },
];

/**
 * The top-level command argv names, if any: the first word that is not an option (`palyra` itself has
 * only --help and --version), or the word after `help`.
 */
function invokedCommand(args: readonly string[]): string | undefined {
  const words = args.filter((arg) => !arg.startsWith("-"));
  return words[0] === "help" ? words[1] : words[0];
}

/**
 * The `palyra` program: the daemon itself, and the commands that talk to a running one. Commands
 * named in `load` are set up in full; the others only by name and description, enough for help.
 */
export async function buildProgram(load: readonly string[] = commands.map((command) => command.name)): Promise<Command> {
  const program = new Command("palyra")
    .description("Palyra LLM gateway: run the daemon, or talk to a running one over gRPC")
    .version(gatewayVersion)
    .showSuggestionAfterError();
  const wanted = commands.filter((command) => load.includes(command.name));
  const setups = new Map(await Promise.all(wanted.map(async (command) => [command.name, await command.load()] as const)));
  for (const { name, description } of commands) {
    const command = program.command(name).description(description);
    setups.get(name)?.(command);
  }
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
    const invoked = invokedCommand(argv.slice(2));
    const program = await buildProgram(invoked === undefined ? [] : [invoked]);
    await program.parseAsync([...argv]);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`palyra: ${message}\n`);
    process.exitCode = error instanceof CliError ? error.exitCode : exitCodes.failure;
  }
}
