import type { Command } from "commander";
import { ConfigError } from "../../config/config-error.js";
import type { LoadedConfig } from "../../config/load-config.js";
import { stateDirFor } from "../../config/state-dir.js";
import { CliError, exitCodes } from "../cli-error.js";
import { printJson, printLine } from "../output.js";

interface ConfigCheckFlags {
  config?: string;
  stateDir?: string;
  json?: boolean;
}

/** palyra config check: loads the config exactly as `palyra daemon` would, without starting or contacting one. */
export function registerConfigCheckCommand(config: Command): void {
  config
    .command("check")
    .description("validate the config the daemon would load (file, PALYRA__* overrides, every check) and list all its problems; needs no daemon")
    .option("--config <path>", "palyra.toml to check (default: PALYRA_CONFIG, else ./palyra.toml, else <state-dir>/palyra.toml)")
    .option("--state-dir <dir>", "state directory to look for palyra.toml in (default: PALYRA_STATE_ROOT, else ./.palyra); never created")
    .option("--json", "print JSON instead of text")
    .action(checkConfig);
}

async function checkConfig(flags: ConfigCheckFlags): Promise<void> {
  const env = process.env;
  // Loaded here, not at the top: the checks bring in governance and registry modules other commands never need.
  const { loadConfig } = await import("../../config/load-config.js");
  let loaded: LoadedConfig;
  try {
    // The daemon's own lookup (see startGateway), minus creating the state directory.
    loaded = loadConfig({ path: flags.config ?? env.PALYRA_CONFIG, stateDir: stateDirFor(flags.stateDir, env), env });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (!flags.json) throw new CliError(error.message, exitCodes.startup);
    printJson({ ok: false, source: error.configSource, problems: error.problems.map(({ source, key, message }) => ({ source, key, message })) });
    process.exitCode = exitCodes.startup;
    return;
  }
  const { config, source, envOverrides } = loaded;
  const counts = {
    providers: config.model_provider.providers.length,
    models: config.model_provider.models.length,
    prices: config.usage.pricing.length,
    budgets: config.usage.budgets.length,
  };
  if (flags.json) return printJson({ ok: true, source, problems: [], ...counts, envOverrides });
  const described = Object.entries(counts).map(([what, count]) => `${count} ${count === 1 ? what.slice(0, -1) : what}`);
  printLine(`ok: ${source} (${described.join(", ")})`);
  if (envOverrides.length > 0) printLine(`from the environment: ${envOverrides.join(", ")}`);
}
