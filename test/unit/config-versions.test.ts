import { describe, expect, it } from "vitest";
import { type ConfigMigrationStep, configMigrationSteps, currentConfigVersion, upgradeConfig } from "../../src/config/config-versions.js";

// The daemon's chain is empty (version 1 is the first format), so the mechanism is proved on an injected one.
const steps: ConfigMigrationStep[] = [
  {
    from: 1,
    describe: "[gateway] becomes [daemon]",
    migrate: ({ gateway, ...rest }) => ({ ...rest, daemon: gateway }),
  },
  {
    from: 2,
    describe: "daemon.level becomes daemon.log_level",
    migrate: (raw) => {
      const { level, ...daemon } = raw.daemon as Record<string, unknown>;
      return { ...raw, daemon: { ...daemon, log_level: level } };
    },
  },
];

describe("config versions", () => {
  it("reads version 1 as current, with no migration steps to take", () => {
    expect(currentConfigVersion).toBe(1);
    expect(configMigrationSteps).toEqual([]);
    const raw = { version: 1, daemon: {} };
    expect(upgradeConfig(raw)).toEqual({ kind: "current", raw });
  });

  it("migrates an older file through every step in order, without changing the parsed document", () => {
    const raw = { version: 1, gateway: { level: "debug" } };
    const outcome = upgradeConfig(raw, { current: 3, steps });
    expect(outcome).toEqual({
      kind: "migrated",
      from: 1,
      raw: { version: 3, daemon: { log_level: "debug" } },
      steps: ["1 → 2: [gateway] becomes [daemon]", "2 → 3: daemon.level becomes daemon.log_level"],
    });
    expect(raw).toEqual({ version: 1, gateway: { level: "debug" } });
    expect(upgradeConfig({ version: 2, daemon: { level: "warn" } }, { current: 3, steps })).toMatchObject({
      kind: "migrated",
      from: 2,
      raw: { version: 3, daemon: { log_level: "warn" } },
    });
  });

  it("refuses a newer file, and an older one the chain has no step for", () => {
    expect(upgradeConfig({ version: 4 }, { current: 3, steps })).toEqual({
      kind: "refused",
      message: "written for version 4; this palyra reads up to 3; upgrade palyra to use this file",
    });
    expect(upgradeConfig({ version: 1 }, { current: 3, steps: steps.slice(1) })).toEqual({
      kind: "refused",
      message: "written for version 1; no migration from version 1 exists",
    });
  });

  it("leaves a missing or malformed version to the schema's message", () => {
    expect(upgradeConfig({})).toMatchObject({ kind: "unversioned" });
    expect(upgradeConfig({ version: "1" })).toMatchObject({ kind: "unversioned" });
    expect(upgradeConfig({ version: 1.5 })).toMatchObject({ kind: "unversioned" });
  });
});
