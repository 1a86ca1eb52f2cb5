import { parse as parseToml } from "smol-toml";
import { formatKeyPath } from "./key-path.js";

/** Environment variables of the form PALYRA__SECTION__KEY=value override palyra.toml keys. */
export const envOverridePrefix = "PALYRA__";

export interface EnvOverrides {
  config: Record<string, unknown>;
  /** Dotted keys set from the environment. */
  applied: string[];
  /**
   * Dotted key -> the variable that set it, so problems with those keys name the variable rather
   * than the file. Includes tables a variable had to create or replace to set its key.
   */
  variables: Map<string, string>;
}

/**
 * Applies PALYRA__A__B=value as config.a.b = value. The value is read as a TOML value when it parses
 * as one (numbers, booleans, quoted strings, arrays) and as a plain string otherwise.
 */
export function applyEnvOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): EnvOverrides {
  const applied: string[] = [];
  const variables = new Map<string, string>();
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(envOverridePrefix) || value === undefined) continue;
    const path = name.slice(envOverridePrefix.length).toLowerCase().split("__").filter(Boolean);
    const leaf = path.pop();
    if (leaf === undefined) continue;
    let table = raw;
    for (const [depth, segment] of path.entries()) {
      const next = table[segment];
      if (typeof next !== "object" || next === null || Array.isArray(next)) {
        table[segment] = {};
        variables.set(formatKeyPath(path.slice(0, depth + 1)), name);
      }
      table = table[segment] as Record<string, unknown>;
    }
    table[leaf] = parseScalar(value);
    const key = formatKeyPath([...path, leaf]);
    applied.push(key);
    variables.set(key, name);
  }
  return { config: raw, applied, variables };
}

function parseScalar(text: string): unknown {
  try {
    return parseToml(`v = ${text}`).v;
  } catch {
    return text;
  }
}
