import { parseCron } from "../../shared/cron-expression.js";

export { cronProblem } from "../../shared/cron-expression.js";

/** When a job fires: a cron expression in a time zone, a fixed interval, or one instant. */
export type JobSchedule =
  | { kind: "cron"; expression: string; timezone: string }
  | { kind: "every"; everyMs: number /** Ticks fall on anchorMs + k * everyMs (the job's creation). */; anchorMs: number }
  | { kind: "at"; atMs: number };

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
