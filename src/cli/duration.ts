import { InvalidArgumentError } from "commander";

const secondsPerUnit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** Commander parser for durations such as "30d", "12h", "45m" or "1d12h"; returns seconds. */
export function parseDurationSeconds(value: string): number {
  const text = value.trim().toLowerCase();
  if (!/^(\d+[smhdw])+$/.test(text)) throw new InvalidArgumentError("must be a duration such as 30d, 12h, 45m or 90s (units: s, m, h, d, w)");
  let seconds = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)([smhdw])/g)) seconds += Number(amount) * (secondsPerUnit[unit ?? ""] ?? 0);
  if (seconds <= 0 || !Number.isSafeInteger(seconds)) throw new InvalidArgumentError("must be longer than zero");
  return seconds;
}
