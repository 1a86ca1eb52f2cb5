import { describe, expect, it } from "vitest";
import { IntervalClock } from "../../src/governance/budgets/interval-clock.js";
import { intervalAt, isTimeZone } from "../../src/shared/budget-interval.js";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const hours = (ms: number) => ms / 3_600_000;

describe("budget intervals", () => {
  it("aligns days, weeks (from Monday) and months to UTC midnight", () => {
    const now = at("2024-05-15T13:45:00Z"); // a Wednesday
    expect(intervalAt("daily", now, "UTC")).toEqual({ start: at("2024-05-15T00:00:00Z"), end: at("2024-05-16T00:00:00Z") });
    expect(intervalAt("weekly", now, "UTC")).toEqual({ start: at("2024-05-13T00:00:00Z"), end: at("2024-05-20T00:00:00Z") });
    expect(intervalAt("monthly", now, "UTC")).toEqual({ start: at("2024-05-01T00:00:00Z"), end: at("2024-06-01T00:00:00Z") });
  });

  it("puts a Sunday in the week that began the Monday before, and a Monday in its own week", () => {
    expect(iso(intervalAt("weekly", at("2024-05-19T23:59:59Z"), "UTC").start)).toBe("2024-05-13T00:00:00.000Z");
    expect(iso(intervalAt("weekly", at("2024-05-20T00:00:00Z"), "UTC").start)).toBe("2024-05-20T00:00:00.000Z");
  });

  it("aligns to local midnight in a non-UTC zone", () => {
    // 23:30 UTC on the 15th is already the 16th in Tokyo (UTC+9).
    const now = at("2024-05-15T23:30:00Z");
    expect(intervalAt("daily", now, "Asia/Tokyo")).toEqual({ start: at("2024-05-15T15:00:00Z"), end: at("2024-05-16T15:00:00Z") });
    // ... and still the 15th in Los Angeles (UTC-7 in May).
    expect(intervalAt("daily", now, "America/Los_Angeles")).toEqual({ start: at("2024-05-15T07:00:00Z"), end: at("2024-05-16T07:00:00Z") });
  });

  it("makes DST days 23 and 25 hours long", () => {
    const spring = intervalAt("daily", at("2024-03-31T12:00:00Z"), "Europe/Berlin");
    expect(spring).toEqual({ start: at("2024-03-30T23:00:00Z"), end: at("2024-03-31T22:00:00Z") });
    expect(hours(spring.end - spring.start)).toBe(23);
    const autumn = intervalAt("daily", at("2024-10-27T12:00:00Z"), "Europe/Berlin");
    expect(hours(autumn.end - autumn.start)).toBe(25);
    // A week holding the change is 167 hours; the month 743.
    expect(
      hours(intervalAt("weekly", at("2024-03-31T12:00:00Z"), "Europe/Berlin").end - intervalAt("weekly", at("2024-03-31T12:00:00Z"), "Europe/Berlin").start),
    ).toBe(167);
    const march = intervalAt("monthly", at("2024-03-15T00:00:00Z"), "Europe/Berlin");
    expect(march).toEqual({ start: at("2024-02-29T23:00:00Z"), end: at("2024-03-31T22:00:00Z") });
  });

  it("starts a day whose midnight does not exist at the first instant that does", () => {
    // Santiago skipped 00:00-01:00 on 2024-09-08: the day starts at 01:00 local (-03:00).
    const day = intervalAt("daily", at("2024-09-08T12:00:00Z"), "America/Santiago");
    expect(iso(day.start)).toBe("2024-09-08T04:00:00.000Z");
    expect(hours(day.end - day.start)).toBe(23);
  });

  it("handles month ends, leap years and year ends", () => {
    expect(intervalAt("monthly", at("2024-02-29T23:59:59.999Z"), "UTC")).toEqual({ start: at("2024-02-01T00:00:00Z"), end: at("2024-03-01T00:00:00Z") });
    expect(intervalAt("monthly", at("2023-12-31T23:00:00Z"), "UTC")).toEqual({ start: at("2023-12-01T00:00:00Z"), end: at("2024-01-01T00:00:00Z") });
    expect(intervalAt("daily", at("2023-12-31T23:00:00Z"), "UTC").end).toBe(at("2024-01-01T00:00:00Z"));
    // New Year's Eve in UTC is already January in Auckland (UTC+13 in summer).
    expect(intervalAt("monthly", at("2023-12-31T12:00:00Z"), "Pacific/Auckland")).toEqual({
      start: at("2023-12-31T11:00:00Z"),
      end: at("2024-01-31T11:00:00Z"),
    });
    // A week across the year end.
    expect(intervalAt("weekly", at("2025-01-01T10:00:00Z"), "UTC")).toEqual({ start: at("2024-12-30T00:00:00Z"), end: at("2025-01-06T00:00:00Z") });
  });

  it("holds every instant: start <= at < end, and the next interval begins where it ends", () => {
    for (const zone of ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"]) {
      for (let t = at("2024-01-01T00:00:00Z"); t < at("2025-01-01T00:00:00Z"); t += 7 * 3_600_000 + 13 * 60_000) {
        for (const kind of ["daily", "weekly", "monthly"] as const) {
          const interval = intervalAt(kind, t, zone);
          expect(interval.start <= t && t < interval.end, `${kind} ${zone} ${iso(t)}`).toBe(true);
          expect(intervalAt(kind, interval.end, zone).start).toBe(interval.end);
        }
      }
    }
  });

  it("recognises IANA zones", () => {
    expect(isTimeZone("Europe/Berlin")).toBe(true);
    expect(isTimeZone("UTC")).toBe(true);
    expect(isTimeZone("Mars/Olympus_Mons")).toBe(false);
    expect(isTimeZone("")).toBe(false);
  });

  it("rolls over to the next interval when the injected clock passes the end", () => {
    const clock = new IntervalClock("Europe/Berlin");
    const first = clock.at("daily", at("2024-05-15T21:59:59Z"));
    expect(clock.at("daily", at("2024-05-15T21:00:00Z"))).toBe(first);
    const next = clock.at("daily", at("2024-05-15T22:00:00Z"));
    expect(next.start).toBe(first.end);
    expect(iso(next.start)).toBe("2024-05-15T22:00:00.000Z");
  });
});
