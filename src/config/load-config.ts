import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse as parseToml, TomlError } from "smol-toml";
import type { z } from "zod";
import { ConfigError } from "./config-error.js";
import { defaultChatModel, defaultEmbeddingsModel, defaultProvider, defaultTranscriptionModel } from "./defaults.js";
import { applyEnvOverrides } from "./env-overrides.js";
import { checkReferences } from "./check-references.js";
import { configSchema, type GatewayConfig } from "./schema.js";

export const embeddedSource = "<embedded defaults>";

export interface LoadedConfig {
  config: GatewayConfig;
  /** The file the config came from, or the embedded-defaults marker. */
  source: string;
  /** Dotted keys set from PALYRA__* environment variables. */
  envOverrides: string[];
}

export interface LoadConfigOptions {
  /** --config / PALYRA_CONFIG; when set the file must exist. */
  path?: string | undefined;
  stateDir: string;
  env: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Finds, parses and validates palyra.toml; throws ConfigError naming the file and key at fault. */
export function loadConfig(options: LoadConfigOptions): LoadedConfig {
  const cwd = options.cwd ?? process.cwd();
  const file = locateConfigFile(options, cwd);
  const raw = file === undefined ? { version: 1 } : readToml(file);
  const source = file ?? embeddedSource;
  if (raw.version === undefined) throw new ConfigError(source, "version", "missing: the file must declare version = 1");
  const { config: overridden, applied } = applyEnvOverrides(raw, options.env);

  const parsed = configSchema.safeParse(overridden);
  if (!parsed.success) throw toConfigError(source, parsed.error);
  const config = withEmbeddedProvider(parsed.data);
  checkReferences(config, source);
  return { config, source, envOverrides: applied };
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
      const firstLine = error.message.split("\n")[0] ?? error.message;
      throw new ConfigError(`${file}:${error.line}:${error.column}`, "", `invalid TOML: ${firstLine}`);
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

function toConfigError(source: string, error: z.ZodError): ConfigError {
  const issue = error.issues[0];
  if (issue === undefined) return new ConfigError(source, "", "invalid config");
  const key = formatKeyPath(issue.path);
  if (issue.code === "unrecognized_keys") {
    const unknown = issue.keys.map((name) => (key ? `${key}.${name}` : name));
    return new ConfigError(source, unknown.join(", "), `unknown key${unknown.length > 1 ? "s" : ""}`);
  }
  if (issue.code === "invalid_type" && issue.input === undefined) {
    return new ConfigError(source, key, `missing (${issue.message})`);
  }
  return new ConfigError(source, key, issue.message);
}

/** ["model_provider","providers",0,"kind"] -> "model_provider.providers[0].kind" */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  return path
    .map((segment, index) =>
      typeof segment === "number" ? `[${segment}]` : `${index === 0 ? "" : "."}${String(segment)}`,
    )
    .join("");
}
