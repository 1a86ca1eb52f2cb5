import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { request } from "undici";

/** How slow an answer to /healthz may be: anything slower means something held the daemon's event loop. */
export const healthzBudgetMs = 100;
const probeEveryMs = 20;

export interface Stall {
  at: number;
  /** Wall time the answer took. */
  wallMs: number;
  /** Time the daemon's main thread spent on a CPU meanwhile (undefined where the kernel does not say). */
  runningMs: number | undefined;
}

/**
 * Asks the daemon's /healthz every few milliseconds until stopped and returns the slow answers that
 * were the daemon's own doing. On a shared two-core machine an answer can be slow only because the
 * daemon waited for a CPU; Linux says how long a thread actually ran (/proc/<pid>/task/<tid>/schedstat),
 * so a slow answer counts only when the event loop thread ran for most of the budget meanwhile, busy
 * with its own work. Elsewhere every slow answer counts.
 */
export function probeForStalls(healthzUrl: string, daemonPid: number): { stop(): Promise<{ probes: number; stalls: Stall[] }> } {
  let running = true;
  const stalls: Stall[] = [];
  let probes = 0;
  const loop = (async () => {
    while (running) {
      const at = Date.now();
      const ranBefore = mainThreadRunningMs(daemonPid);
      const started = performance.now();
      // A fresh connection per probe: a pooled one may be a socket the hostile requests left for the
      // server to close, and reusing it would report the race as a failure of the daemon.
      const response = await request(healthzUrl, { reset: true });
      await response.body.arrayBuffer();
      const wallMs = performance.now() - started;
      const ranAfter = mainThreadRunningMs(daemonPid);
      probes++;
      if (response.statusCode !== 200) throw new Error(`/healthz answered ${response.statusCode}`);
      const runningMs = ranBefore === undefined || ranAfter === undefined ? undefined : ranAfter - ranBefore;
      if (wallMs > healthzBudgetMs && (runningMs === undefined || runningMs > healthzBudgetMs * 0.8)) stalls.push({ at, wallMs, runningMs });
      await sleep(probeEveryMs);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { probes, stalls };
    },
  };
}

/** Milliseconds the process's main thread (its event loop) has spent on a CPU, from the kernel's scheduler statistics. */
function mainThreadRunningMs(pid: number): number | undefined {
  try {
    const [onCpuNs] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, "utf8").split(" ");
    return Number(onCpuNs) / 1e6;
  } catch {
    return undefined;
  }
}
