import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse as parseToml, TomlError } from "smol-toml";
import { ConfigError } from "./config-error.js";
import { ConfigProblems } from "./config-problems.js";
import { upgradeConfig } from "./config-versions.js";
import { defaultChatModel, defaultEmbeddingsModel, defaultProvider, defaultTranscriptionModel } from "./defaults.js";
import { applyEnvOverrides } from "./env-overrides.js";
import { runConfigChecks } from "./run-config-checks.js";
import { salvageConfig } from "./salvage-config.js";
import { configSchema, type GatewayConfig } from "./schema.js";
import { problemsFromIssues } from "./zod-issue-problems.js";

export const embeddedSource = "<embedded defaults>";

export interface LoadedConfig {
  config: GatewayConfig;
  /** The file the config came from, or the embedded-defaults marker. */
  source: string;
  /** Dotted keys set from PALYRA__* environment variables. */
  envOverrides: string[];
  /** The older `version` the file was written for, when it was migrated in memory (`palyra config migrate` rewrites it). */
  migratedFrom?: number | undefined;
}

export interface LoadConfigOptions {
  /** --config / PALYRA_CONFIG; when set the file must exist. */
  path?: string | undefined;
  stateDir: string;
  env: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Finds, parses and validates palyra.toml with its environment overrides. Throws one ConfigError
 * listing every problem found (a TOML syntax error stops at the first), each naming the file and key,
 * or the PALYRA__* variable, at fault.
 */
export function loadConfig(options: LoadConfigOptions): LoadedConfig {
  const cwd = options.cwd ?? process.cwd();
  const file = locateConfigFile(options, cwd);
  const source = file ?? embeddedSource;
  const versioned = upgradeConfig(file === undefined ? { version: 1 } : readToml(file));
  if (versioned.kind === "refused") throw new ConfigError(source, "version", versioned.message);
  const { raw } = versioned;
  const migratedFrom = versioned.kind === "migrated" ? versioned.from : undefined;
  // Checked before the overrides: the file itself must say which format it is written in.
  const fileLacksVersion = raw.version === undefined;
  const { config: overridden, applied, variables } = applyEnvOverrides(raw, options.env);
  const problems = new ConfigProblems(source, variables);
  if (fileLacksVersion) problems.addForFile("version", "missing: the file must declare version = 1");

  const parsed = configSchema.safeParse(overridden, { reportInput: true });
  if (parsed.success) {
    const config = withEmbeddedProvider(parsed.data);
    runConfigChecks(config, problems.add);
    problems.throwIfAny();
    return { config, source, envOverrides: applied, migratedFrom };
  }
  for (const { key, message } of problemsFromIssues(parsed.error.issues, configSchema)) {
    if (!(fileLacksVersion && key === "version")) problems.add(key, message);
  }
  const salvaged = salvageConfig(overridden, parsed.error.issues);
  if (salvaged !== undefined) runConfigChecks(withEmbeddedProvider(salvaged.config), problems.add, salvaged.replaced);
  throw new ConfigError(problems.list, source);
}

function locateConfigFile(options: LoadConfigOptions, cwd: string): string | undefined {
  if (options.path) {
    const explicit = resolve(cwd, options.path);
    if (!existsSync(explicit)) throw new ConfigError(explicit, "", "config file not found");
    return explicit;
  }
  const candidates = [resolve(cwd, "palyra.toml"), resolve(cwd, options.stateDir, "palyra.toml")];
  return candidates.find((candidate) => existsSync(candidate));
}

function readToml(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(file, "", `cannot read: ${(error as Error).message}`);
  }
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError) {
      // Parsing stops at the first syntax error, so this is the one problem reported.
      const firstLine = error.message.split("\n")[0] ?? error.message;
      throw new ConfigError([{ source: `${file}:${error.line}:${error.column}`, key: "", message: `invalid TOML: ${firstLine}` }], file);
    }
    throw error;
  }
}

/** With no providers configured the daemon still answers, through the deterministic provider. */
function withEmbeddedProvider(config: GatewayConfig): GatewayConfig {
  const registry = config.model_provider;
  if (registry.providers.length > 0 || registry.models.length > 0) return config;
  return {
    ...config,
    model_provider: { ...registry, providers: [defaultProvider], models: [defaultChatModel, defaultEmbeddingsModel, defaultTranscriptionModel] },
  };
}
