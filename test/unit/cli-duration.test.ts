import { describe, expect, it } from "vitest";
import { parseDurationSeconds } from "../../src/cli/duration.js";

describe("parseDurationSeconds", () => {
  it("reads single and compound durations", () => {
    expect(parseDurationSeconds("30d")).toBe(30 * 86_400);
    expect(parseDurationSeconds("12h")).toBe(43_200);
    expect(parseDurationSeconds("45m")).toBe(2_700);
    expect(parseDurationSeconds("90s")).toBe(90);
    expect(parseDurationSeconds("1d12h")).toBe(129_600);
    expect(parseDurationSeconds("2W")).toBe(1_209_600);
  });

  it("refuses what is not a duration", () => {
    for (const bad of ["", "30", "d", "1.5h", "-1h", "0m", "3 days"]) expect(() => parseDurationSeconds(bad)).toThrow(/duration|longer than zero/);
  });
});
