import { Cron } from "croner";
import { LRUCache } from "lru-cache";

// Parsing a pattern is the costly part of croner; jobs keep their expression, so keep the parse.
const parsed = new LRUCache<string, Cron>({ max: 1000 });

/**
 * A parsed 5-field cron expression in an IANA time zone (croner; DST follows the zone's wall clock);
 * throws with croner's words when either is wrong. Here, not in automation/, because the config
 * check judges [[automation.jobs]] expressions with the same parser the scheduler uses.
 */
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
