import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { BenchResults } from "../../bench/report.js";
import { cleanEnv } from "./support/palyra-process.js";

// `npm run bench -- --smoke`: every phase of the bench with tiny counts and no thresholds, so the
// bench never rots. What is checked is that it ran and reported every row with figures, not the figures.

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "palyra-bench-smoke-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Each row label the table must hold, and how many figures (direct, proxy, gateway; or gateway alone) follow it. */
const rows: [label: RegExp, figures: number][] = [
  [/^JSON c=1 p50 \(ms\)/, 3],
  [/^JSON c=1 p99 \(ms\)/, 3],
  [/^JSON c=\d+ \(req\/s\)/, 3],
  [/^SSE c=1 first data p50 \(ms\)/, 3],
  [/^SSE c=1 first data p99 \(ms\)/, 3],
  [/^SSE c=1 complete p50 \(ms\)/, 3],
  [/^SSE c=1 complete p99 \(ms\)/, 3],
  [/^SSE c=\d+ \(req\/s\)/, 3],
  [/^gRPC RunStream c=1 p50 \(ms\)/, 1],
  [/^gRPC RunStream c=1 p99 \(ms\)/, 1],
  [/^gRPC RunStream c=\d+ \(runs\/s\)/, 1],
  [/^peak RSS \(MB\)/, 1],
  [/^RSS after 50 soak requests \(MB\)/, 1],
  [/^RSS after 100 soak requests \(MB\)/, 1],
  [/^start to ready, median of \d+ \(ms\)/, 1],
  [/^palyra models list, median of \d+ \(ms\)/, 1],
  [/^budget admit p50, [\w,]+-run ledger \(ms\)/, 1],
  [/^budget settle p50, [\w,]+-run ledger \(ms\)/, 1],
  [/^metrics per chat request \(ns\)/, 1],
];

function runSmoke(out: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/run.ts", "--smoke", "--out", out], {
    cwd: repoRoot,
    env: cleanEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout: Buffer.concat(stdout).toString("utf8"), stderr: Buffer.concat(stderr).toString("utf8") }));
  });
}

/** Paths of every null (NaN and Infinity become null in JSON) or non-finite number in a value. */
function missingFigures(value: unknown, path = "$"): string[] {
  if (value === null) return [path];
  if (typeof value === "number") return Number.isFinite(value) ? [] : [path];
  if (Array.isArray(value)) return value.flatMap((item, index) => missingFigures(item, `${path}[${index}]`));
  if (typeof value === "object") return Object.entries(value).flatMap(([key, item]) => missingFigures(item, `${path}.${key}`));
  return [];
}

describe("npm run bench -- --smoke", () => {
  it("runs every phase and reports every row of the table, with figures, in the table and the JSON", async () => {
    const out = join(scratch, "smoke.json");
    const { code, stdout, stderr } = await runSmoke(out);
    expect(code, `bench output:\n${stdout}\n${stderr}`).toBe(0);

    const lines = stdout.split("\n");
    for (const [label, figures] of rows) {
      const line = lines.find((candidate) => label.test(candidate));
      expect(line, `no row ${label} in:\n${stdout}`).toBeDefined();
      const cells = (line ?? "").replace(label, "").trim().split(/\s+/).slice(0, figures);
      for (const cell of cells) expect(Number(cell.replace(/,/g, "")), `${label}: ${line}`).not.toBeNaN();
    }
    expect(stdout).toContain("errors: 0");

    const results = JSON.parse(readFileSync(out, "utf8")) as BenchResults;
    expect(results.mode).toBe("smoke");
    // A smoke run judges nothing: every target is there with its value, none with a verdict.
    expect(results.targets.map((target) => target.met)).toEqual(results.targets.map(() => null));
    const { targets, ...figures } = results;
    expect(missingFigures(figures)).toEqual([]);
    expect(missingFigures(targets.map((target) => target.value))).toEqual([]);
    expect(targets.length).toBeGreaterThanOrEqual(11);
    expect(results.soak.reached).toBe(100);
    expect(results.upstreamCalls.seen).toBe(results.upstreamCalls.expected);
    // The limit only stops a hang: the run takes seconds alone, minutes beside the suite on a busy machine.
  }, 600_000);
});
