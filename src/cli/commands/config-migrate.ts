import { readFileSync, renameSync, writeFileSync } from "node:fs";
import type { Command } from "commander";
import { parse as parseToml, stringify as stringifyToml } from "smol-toml";
import { backupConfigFile } from "../../config/config-backups.js";
import { ConfigError } from "../../config/config-error.js";
import { currentConfigVersion, upgradeConfig } from "../../config/config-versions.js";
import { stateDirFor } from "../../config/state-dir.js";
import { CliError, exitCodes } from "../cli-error.js";
import { printJson, printLine } from "../output.js";

interface ConfigMigrateFlags {
  config?: string;
  stateDir?: string;
  json?: boolean;
}

/** palyra config migrate: rewrites a palyra.toml of an older `version` for this palyra, after a backup; needs no daemon. */
export function registerConfigMigrateCommand(config: Command): void {
  config
    .command("migrate")
    .description(`rewrite palyra.toml written for an older version as version ${currentConfigVersion} (backed up beside it first); needs no daemon`)
    .option("--config <path>", "palyra.toml to migrate (default: PALYRA_CONFIG, else ./palyra.toml, else <state-dir>/palyra.toml)")
    .option("--state-dir <dir>", "state directory to look for palyra.toml in (default: PALYRA_STATE_ROOT, else ./.palyra)")
    .option("--json", "print JSON instead of text")
    .action(migrateConfig);
}

async function migrateConfig(flags: ConfigMigrateFlags): Promise<void> {
  const env = process.env;
  // Loaded here, not at the top: the checks bring in governance and registry modules other commands never need.
  const { embeddedSource, loadConfig } = await import("../../config/load-config.js");
  let source: string;
  let migratedFrom: number | undefined;
  try {
    // Loaded as the daemon would (migrated in memory and validated), so only a file it would take is rewritten.
    ({ source, migratedFrom } = loadConfig({ path: flags.config ?? env.PALYRA_CONFIG, stateDir: stateDirFor(flags.stateDir, env), env }));
  } catch (error) {
    throw error instanceof ConfigError ? new CliError(error.message, exitCodes.failure) : error;
  }
  if (source === embeddedSource) throw new CliError("no palyra.toml found (the daemon would run on embedded defaults): nothing to migrate");
  if (migratedFrom === undefined) {
    if (flags.json) return printJson({ source, version: currentConfigVersion, migrated: false });
    return printLine(`${source} is already current (version ${currentConfigVersion}); nothing to do`);
  }
  const outcome = upgradeConfig(parseToml(readFileSync(source, "utf8")) as Record<string, unknown>);
  if (outcome.kind !== "migrated") throw new CliError(`${source}: could not migrate (${outcome.kind})`);
  const backup = backupConfigFile(source);
  // Written beside the file and renamed over it, so a crash leaves the old file or the new one, never half.
  const next = `${source}.migrating`;
  writeFileSync(next, `# migrated by palyra config migrate from version ${outcome.from}; the original is ${backup}\n${stringifyToml(outcome.raw)}\n`, {
    mode: 0o600,
  });
  renameSync(next, source);
  if (flags.json) return printJson({ source, version: currentConfigVersion, migrated: true, from: outcome.from, steps: outcome.steps, backup });
  printLine(`migrated ${source} from version ${outcome.from} to ${currentConfigVersion} (backup: ${backup})`);
  for (const step of outcome.steps) printLine(`  ${step}`);
}
