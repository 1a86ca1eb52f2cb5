import { parse as parseToml } from "smol-toml";

/** Environment variables of the form PALYRA__SECTION__KEY=value override palyra.toml keys. */
export const envOverridePrefix = "PALYRA__";

/**
 * Applies PALYRA__A__B=value as config.a.b = value. The value is read as a TOML value when it parses
 * as one (numbers, booleans, quoted strings, arrays) and as a plain string otherwise.
 */
export function applyEnvOverrides(
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): { config: Record<string, unknown>; applied: string[] } {
  const applied: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(envOverridePrefix) || value === undefined) continue;
    const path = name.slice(envOverridePrefix.length).toLowerCase().split("__").filter(Boolean);
    const leaf = path.pop();
    if (leaf === undefined) continue;
    let table = raw;
    for (const segment of path) {
      const next = table[segment];
      if (typeof next !== "object" || next === null || Array.isArray(next)) table[segment] = {};
      table = table[segment] as Record<string, unknown>;
    }
    table[leaf] = parseScalar(value);
    applied.push([...path, leaf].join("."));
  }
  return { config: raw, applied };
}

function parseScalar(text: string): unknown {
  try {
    return parseToml(`v = ${text}`).v;
  } catch {
    return text;
  }
}
