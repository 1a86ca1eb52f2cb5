import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { cruise, type ICruiseResult, type IViolation } from "dependency-cruiser";
import extractDepcruiseOptions from "dependency-cruiser/config-utl/extract-depcruise-options";
import { describe, expect, it } from "vitest";

// The layer rule (ARCHITECTURE.md) as `npm run check:deps` checks it: the repository's own
// .dependency-cruiser.cjs runs on a small tree in test/fixtures/layering whose files each keep the rule
// or break one named rule, so the check is shown to fail on exactly the imports it should.

const root = resolve(import.meta.dirname, "../..");
const fixture = join(root, "test/fixtures/layering");

async function cruiseFixture(): Promise<ICruiseResult> {
  const options = await extractDepcruiseOptions(join(root, ".dependency-cruiser.cjs"));
  // Rules name paths from the tree's root ("^src/runs/"); baseDir makes the fixture that root.
  const { output } = await cruise(["src"], { ...options, baseDir: fixture });
  if (typeof output === "string") throw new Error("dependency-cruiser returned text, not a cruise result");
  return output;
}

function describeViolation(violation: IViolation): string {
  return `${violation.rule.name}: ${violation.from} -> ${violation.to}`;
}

describe("the dependency rule", () => {
  it("reports each import against the direction, folder cycle and stray generated-code import, and nothing else", async () => {
    const result = await cruiseFixture();
    const reported = [...new Set(result.summary.violations.map(describeViolation))].sort();
    expect(reported).toEqual([
      "folder-cycle: src/identity/alpha -> src/identity/beta",
      "folder-cycle: src/identity/beta -> src/identity/alpha",
      "generated-code-outside-transport: src/runs/uses-generated.ts -> gen/api_pb.ts",
      "outside-the-layers: src/plugins/job.ts -> src/store/rows.ts",
      "store-imports-upward: src/store/reaches-up.ts -> src/http/body-limit.ts",
    ]);
  });

  it("parses the TypeScript sources (an empty cruise would pass every rule)", async () => {
    const result = await cruiseFixture();
    const rpc = result.modules.find((module) => module.source === "src/rpc/service.ts");
    expect(rpc?.dependencies.map((dependency) => dependency.resolved).sort()).toEqual(["gen/api_pb.ts", "src/runs/engine.ts"]);
  });

  // The parser dependency-cruiser can use beside TypeScript 7 (swc) does not mark `import type`, so the config
  // lets shared/ import config/schema.ts at all; this keeps those imports to types, as the rule says.
  it("lets shared/ import config/schema.ts for types only", () => {
    const sharedDir = join(root, "src/shared");
    const files = readdirSync(sharedDir, { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith(".ts"));
    expect(files.length).toBeGreaterThan(0);
    const valueImports = files.filter((file) => {
      const text = readFileSync(join(sharedDir, file), "utf8");
      return /^(import|export)\s+(?!type\s)[^;]*?from\s+"[./]*config\/schema\.js"/m.test(text);
    });
    expect(valueImports).toEqual([]);
  });
});
