import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findStateDir, stateDirFor } from "../../src/config/state-dir.js";

describe("the state directory", () => {
  const root = mkdtempSync(join(tmpdir(), "palyra-state-dir-"));
  const checkout = join(root, "checkout");
  const deep = join(checkout, "src", "cli");
  mkdirSync(join(checkout, ".palyra"), { recursive: true });
  mkdirSync(deep, { recursive: true });

  it("is --state-dir, else PALYRA_STATE_ROOT, else ./.palyra for the daemon", () => {
    expect(stateDirFor("elsewhere", { PALYRA_STATE_ROOT: "/env" }, deep)).toBe(join(deep, "elsewhere"));
    expect(stateDirFor(undefined, { PALYRA_STATE_ROOT: "/env" }, deep)).toBe("/env");
    expect(stateDirFor(undefined, {}, deep)).toBe(join(deep, ".palyra"));
  });

  it("is found from any folder of a checkout by client commands", () => {
    expect(findStateDir(undefined, {}, deep)).toBe(join(checkout, ".palyra"));
    expect(findStateDir(undefined, {}, checkout)).toBe(join(checkout, ".palyra"));
    expect(findStateDir(undefined, { PALYRA_STATE_ROOT: "/env" }, deep)).toBe("/env");
  });
});
