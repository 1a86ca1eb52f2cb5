import { describe, expect, it } from "vitest";
import { jsonNestsDeeperThan, maxJsonDepth } from "../../src/shared/json-depth.js";

const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

describe("jsonNestsDeeperThan", () => {
  it("counts objects and arrays, in text and in UTF-8 bytes", () => {
    for (const form of [(text: string) => text, (text: string) => Buffer.from(text)]) {
      expect(jsonNestsDeeperThan(form(nested(maxJsonDepth)))).toBe(false);
      expect(jsonNestsDeeperThan(form(nested(maxJsonDepth + 1)))).toBe(true);
      expect(jsonNestsDeeperThan(form('{"a":{"b":[1,{"c":[]}]}}'), 5)).toBe(false);
      expect(jsonNestsDeeperThan(form('{"a":{"b":[1,{"c":[]}]}}'), 4)).toBe(true);
    }
  });

  it("ignores brackets inside strings, escaped quotes included", () => {
    expect(jsonNestsDeeperThan('["[[[[", "\\"[[[[", "é[[["]', 1)).toBe(false);
    expect(jsonNestsDeeperThan(Buffer.from('{"k":"\\\\"}[[[[', "utf8"), 3)).toBe(true);
  });
});
