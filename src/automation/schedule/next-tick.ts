import { Cron } from "croner";
import { LRUCache } from "lru-cache";

/** When a job fires: a cron expression in a time zone, a fixed interval, or one instant. */
export type JobSchedule =
  | { kind: "cron"; expression: string; timezone: string }
  | { kind: "every"; everyMs: number; /** Ticks fall on anchorMs + k * everyMs (the job's creation). */ anchorMs: number }
  | { kind: "at"; atMs: number };

// Parsing a pattern is the costly part of croner; jobs keep their expression, so keep the parse.
const parsed = new LRUCache<string, Cron>({ max: 1000 });

/** A parsed 5-field cron expression in an IANA time zone; throws with croner's words when either is wrong. */
export function parseCron(expression: string, timezone: string): Cron {
  const key = `${timezone}\n${expression}`;
  let cron = parsed.get(key);
  if (cron === undefined) {
    cron = new Cron(expression, { timezone, mode: "5-part", paused: true });
    // A bad time zone only shows when a date is computed.
    cron.nextRun(new Date(0));
    parsed.set(key, cron);
  }
  return cron;
}

/** Why a cron expression or time zone is refused, or undefined when croner accepts both. */
export function cronProblem(expression: string, timezone: string): string | undefined {
  try {
    parseCron(expression, timezone);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * The schedule's first tick strictly after `afterMs` (before jitter), or undefined when it has none
 * (an `at` that has passed, a cron expression that never matches again). Cron ticks follow the time
 * zone's wall clock across DST changes (croner: a time skipped in spring runs once at the jump, a time
 * repeated in autumn runs once).
 */
export function nextTickAfter(schedule: JobSchedule, afterMs: number): number | undefined {
  switch (schedule.kind) {
    case "at":
      return schedule.atMs > afterMs ? schedule.atMs : undefined;
    case "every": {
      const { everyMs, anchorMs } = schedule;
      if (afterMs < anchorMs) return anchorMs;
      return anchorMs + (Math.floor((afterMs - anchorMs) / everyMs) + 1) * everyMs;
    }
    case "cron":
      return parseCron(schedule.expression, schedule.timezone).nextRun(new Date(afterMs))?.getTime();
  }
}

/** Ticks in [fromMs, toMs]: how many (counting stops at `cap`), and the latest `keep` of them, oldest first. */
export function ticksBetween(schedule: JobSchedule, fromMs: number, toMs: number, keep: number, cap = 10_000): { count: number; latest: number[] } {
  if (fromMs > toMs) return { count: 0, latest: [] };
  if (schedule.kind === "every") {
    const first = schedule.anchorMs <= fromMs ? (nextTickAfter(schedule, fromMs - 1) ?? fromMs) : schedule.anchorMs;
    if (first > toMs) return { count: 0, latest: [] };
    const count = Math.floor((toMs - first) / schedule.everyMs) + 1;
    const kept = Math.min(keep, count);
    const last = first + (count - 1) * schedule.everyMs;
    return { count, latest: Array.from({ length: kept }, (_, index) => last - (kept - 1 - index) * schedule.everyMs) };
  }
  const latest: number[] = [];
  let count = 0;
  for (let tick = nextTickAfter(schedule, fromMs - 1); tick !== undefined && tick <= toMs && count < cap; tick = nextTickAfter(schedule, tick)) {
    count += 1;
    latest.push(tick);
    if (latest.length > keep) latest.shift();
  }
  return { count, latest };
}
