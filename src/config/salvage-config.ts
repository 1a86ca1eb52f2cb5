import type { z } from "zod";
import { formatKeyPath } from "./key-path.js";
import { configSchema, type GatewayConfig } from "./schema.js";
import { mayBeOmitted } from "./schema-shape.js";

export interface SalvagedConfig {
  config: GatewayConfig;
  /** Keys whose values were rejected and replaced by their defaults: checks that read them must not run. */
  replaced: string[];
}

/**
 * A config the cross-table checks can run on although the schema rejected the input, so one report can
 * hold schema and reference problems together. Unknown keys are dropped (they never fed a value); each
 * rejected value is left out at the nearest key that may be omitted, so its default stands in, and that
 * key is listed as replaced. Undefined when no such stand-in exists.
 */
export function salvageConfig(input: Record<string, unknown>, issues: readonly z.core.$ZodIssue[]): SalvagedConfig | undefined {
  const copy = structuredClone(input);
  const replaced: string[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      const table = valueAt(copy, issue.path);
      if (isTable(table)) for (const name of issue.keys) delete table[name];
      continue;
    }
    if (issue.code === "invalid_value" && issue.values.length === 1) {
      // A literal (version = 1) has exactly one value that may stand in.
      setValueAt(copy, issue.path, issue.values[0]);
      replaced.push(formatKeyPath(issue.path));
      continue;
    }
    const omissible = nearestOmissible(issue.path);
    if (omissible === undefined) return undefined;
    setValueAt(copy, omissible, undefined);
    replaced.push(formatKeyPath(omissible));
  }
  const parsed = configSchema.safeParse(copy);
  return parsed.success ? { config: parsed.data, replaced } : undefined;
}

/** The path itself or its nearest ancestor that may be left out (e.g. a whole providers array when one provider lacks its kind). */
function nearestOmissible(path: readonly PropertyKey[]): readonly PropertyKey[] | undefined {
  for (let length = path.length; length > 0; length--) {
    const candidate = path.slice(0, length);
    if (mayBeOmitted(configSchema, candidate)) return candidate;
  }
  return undefined;
}

function isTable(value: unknown): value is Record<PropertyKey, unknown> {
  return typeof value === "object" && value !== null;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const segment of path) current = isTable(current) ? current[segment] : undefined;
  return current;
}

function setValueAt(root: unknown, path: readonly PropertyKey[], value: unknown): void {
  const parent = valueAt(root, path.slice(0, -1));
  const last = path.at(-1);
  if (!isTable(parent) || last === undefined) return;
  if (value === undefined) delete parent[last];
  else parent[last] = value;
}
