/** The `version` this palyra writes and reads natively (DESIGN.md §3). */
export const currentConfigVersion = 1;

/** One step of the chain: turns a file written for `from` into one for `from + 1`. */
export interface ConfigMigrationStep {
  from: number;
  /** What the step changes, in words (printed by `palyra config migrate`). */
  describe: string;
  /** Returns the migrated document; never changes its argument. */
  migrate(raw: Readonly<Record<string, unknown>>): Record<string, unknown>;
}

/**
 * The migration chain, one step per older version, as data. Empty: version 1 is the first format
 * there is. A new format adds its step here, raises currentConfigVersion and changes the schema.
 */
export const configMigrationSteps: readonly ConfigMigrationStep[] = [];

/** What reading a document's `version` decided. */
export type VersionOutcome =
  | { kind: "current"; raw: Record<string, unknown> }
  | { kind: "migrated"; raw: Record<string, unknown>; from: number; steps: string[] }
  /** A version the schema judges (missing, not a whole number): left to the schema's own message. */
  | { kind: "unversioned"; raw: Record<string, unknown> }
  | { kind: "refused"; message: string };

export interface VersionChain {
  current: number;
  steps: readonly ConfigMigrationStep[];
}

const daemonChain: VersionChain = { current: currentConfigVersion, steps: configMigrationSteps };

/**
 * Brings a parsed palyra.toml to the current version in memory: an older one through the chain,
 * a newer one refused (this palyra cannot know what its keys mean).
 */
export function upgradeConfig(raw: Record<string, unknown>, chain: VersionChain = daemonChain): VersionOutcome {
  const version = raw.version;
  if (typeof version !== "number" || !Number.isInteger(version) || version < 1) return { kind: "unversioned", raw };
  if (version === chain.current) return { kind: "current", raw };
  if (version > chain.current) {
    return { kind: "refused", message: `written for version ${version}; this palyra reads up to ${chain.current}; upgrade palyra to use this file` };
  }
  let migrated: Record<string, unknown> = raw;
  const described: string[] = [];
  for (let from = version; from < chain.current; from += 1) {
    const step = chain.steps.find((candidate) => candidate.from === from);
    if (step === undefined) return { kind: "refused", message: `written for version ${version}; no migration from version ${from} exists` };
    migrated = { ...step.migrate(migrated), version: from + 1 };
    described.push(`${from} → ${from + 1}: ${step.describe}`);
  }
  return { kind: "migrated", raw: migrated, from: version, steps: described };
}
