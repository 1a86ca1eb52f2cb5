import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { defaultStateDir } from "./defaults.js";

/** The daemon's state directory: --state-dir, else PALYRA_STATE_ROOT, else ./.palyra. */
export function stateDirFor(flag: string | undefined, env: NodeJS.ProcessEnv, cwd = process.cwd()): string {
  return resolve(cwd, flag || env.PALYRA_STATE_ROOT || defaultStateDir);
}

/**
 * The state directory a client command reads (daemon.json, the admin token): as the daemon picks it,
 * except that with neither flag nor PALYRA_STATE_ROOT the nearest ./.palyra in this folder or above
 * is used, so `palyra …` finds the daemon `npm start` runs from any folder of the checkout.
 */
export function findStateDir(flag: string | undefined, env: NodeJS.ProcessEnv, cwd = process.cwd()): string {
  if (flag || env.PALYRA_STATE_ROOT) return stateDirFor(flag, env, cwd);
  for (let folder = resolve(cwd); ; folder = dirname(folder)) {
    const candidate = join(folder, defaultStateDir);
    if (existsSync(candidate)) return candidate;
    if (dirname(folder) === folder) return stateDirFor(undefined, env, cwd);
  }
}
