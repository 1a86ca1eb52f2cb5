import { copyFileSync, existsSync, writeFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { listConfigBackups } from "../../../config/config-backups.js";
import { ConfigError } from "../../../config/config-error.js";
import { type LoadedConfig, loadConfig } from "../../../config/load-config.js";
import type { CheckReport, DoctorSetting, Finding, RepairAction } from "../doctor-types.js";
import { reportOf } from "../doctor-types.js";

/** What `create_config` writes: the embedded defaults, spelled out as the smallest valid file. */
export const defaultConfigText = `# palyra.toml, created by \`palyra doctor --repair\` from the embedded defaults.
# With no [[model_provider.providers]] the daemon answers through its deterministic provider; README.md
# shows how to add real ones. \`palyra config check\` validates this file without a daemon.
version = 1
`;

/** Where the config is: the file given, or the first of ./palyra.toml and <state-dir>/palyra.toml (as loadConfig looks). */
export function locateConfig(setting: DoctorSetting): { file: string | undefined; explicit: boolean; createAt: string } {
  const given = setting.configFlag ?? setting.env.PALYRA_CONFIG;
  if (given) {
    const file = resolvePath(setting.cwd, given);
    return { file: existsSync(file) ? file : undefined, explicit: true, createAt: file };
  }
  const candidates = [resolvePath(setting.cwd, "palyra.toml"), resolvePath(setting.stateDir, "palyra.toml")];
  return { file: candidates.find((candidate) => existsSync(candidate)), explicit: false, createAt: candidates[1] ?? "palyra.toml" };
}

function resolvePath(base: string, path: string): string {
  return isAbsolute(path) ? path : resolve(base, path);
}

/** The config: found, parses, validates. Returns the loaded config for the checks after it (binds, budgets, providers). */
export function checkConfig(setting: DoctorSetting): { report: CheckReport; loaded: LoadedConfig | undefined; file: string | undefined } {
  const { file, explicit, createAt } = locateConfig(setting);
  if (file === undefined) {
    const finding: Finding = {
      check: "config",
      severity: explicit ? "blocking" : "info",
      object: createAt,
      problem: explicit
        ? `the config file ${createAt} does not exist: the daemon will not start`
        : "there is no palyra.toml: the daemon runs on its embedded defaults",
      fix: `palyra doctor --repair (creates ${createAt} from the defaults)`,
      repair: createConfig(createAt),
    };
    const loaded = explicit ? undefined : load(setting, undefined).loaded;
    return { report: reportOf("config", explicit ? "config file missing" : "embedded defaults", [finding]), loaded, file: undefined };
  }
  const { loaded, error } = load(setting, file);
  if (error === undefined) return { report: reportOf("config", `${file} parses and validates`, []), loaded, file };
  const unparsable = error.problems.some((problem) => problem.message.startsWith("invalid TOML") || problem.message.startsWith("cannot read"));
  const problems = error.problems.map((problem) => `${problem.key === "" ? problem.source : `${problem.key}`}: ${problem.message}`).join("; ");
  const backup = unparsable ? newestGoodBackup(setting, file) : undefined;
  const finding: Finding = {
    check: "config",
    severity: "blocking",
    object: file,
    problem: `${unparsable ? "the config no longer parses" : "the config is invalid"} (${problems}): the daemon will not start`,
    fix:
      backup !== undefined
        ? `palyra doctor --repair (restores ${backup})`
        : `edit ${file} (palyra config check lists every problem)${unparsable ? "; there is no backup that loads" : ""}`,
    repair: backup === undefined ? undefined : restoreConfig(file, backup),
  };
  return { report: reportOf("config", `${file} ${unparsable ? "does not parse" : "does not validate"}`, [finding]), loaded: undefined, file };
}

function load(setting: DoctorSetting, file: string | undefined): { loaded?: LoadedConfig; error?: ConfigError } {
  try {
    // Without a file, loadConfig still applies PALYRA__* overrides to the embedded defaults.
    return { loaded: loadConfig({ path: file, stateDir: setting.stateDir, env: setting.env, cwd: setting.cwd }) };
  } catch (error) {
    if (error instanceof ConfigError) return { error };
    throw error;
  }
}

/** The newest backup beside the file that loads as it is (a newer one that is broken too is passed over). */
function newestGoodBackup(setting: DoctorSetting, file: string): string | undefined {
  return listConfigBackups(file).find((backup) => load(setting, backup.path).loaded !== undefined)?.path;
}

function createConfig(path: string): RepairAction {
  return {
    kind: "create_config",
    description: `create ${path} from the embedded defaults`,
    touchesStore: false,
    apply: async ({ recovery }) => {
      recovery.backupFile(path);
      writeFileSync(path, defaultConfigText, { mode: 0o600, flag: "wx" });
      return `created ${path}`;
    },
  };
}

function restoreConfig(file: string, backup: string): RepairAction {
  return {
    kind: "restore_config",
    description: `replace ${file}, which does not parse, with its newest backup that loads, ${backup} (the broken file is kept in the recovery folder)`,
    touchesStore: false,
    apply: async ({ recovery }) => {
      // The broken file goes to the recovery folder, not beside it as a .bak: another .bak would push the oldest
      // good backup out (five are kept), and rollback could not bring that one back.
      recovery.backupFile(file);
      copyFileSync(backup, file);
      return `restored ${file} from ${backup}; the broken file is in the recovery folder`;
    },
  };
}
