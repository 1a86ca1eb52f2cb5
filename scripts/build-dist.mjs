#!/usr/bin/env node
// `npm run build`: compiles src/ and gen/ to dist/ with tsc (tsconfig.build.json), then writes
// dist/.build-stamp with the time the build started. bin/palyra.js runs dist/ only while no file
// under src/ or gen/ is newer than that stamp, so a stale build is never run.
//
// With --optional (the `prepare` script, run by `npm ci`), a build that cannot run (no TypeScript,
// as with --omit=dev) or fails leaves no stamp and exits 0: palyra then runs the sources through tsx.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = `${root}dist`;
const optional = process.argv.includes("--optional");
// Taken before tsc reads anything: a source saved while it compiles is newer than the stamp.
const startedAt = Date.now();

// A clean tree, so a source deleted since the last build leaves no module behind.
rmSync(dist, { recursive: true, force: true });

const tsc = `${root}node_modules/typescript/bin/tsc`;
if (!existsSync(tsc)) {
  if (optional) process.exit(0);
  process.stderr.write("build: typescript is not installed (npm ci installs it)\n");
  process.exit(1);
}
const result = spawnSync(process.execPath, [tsc, "-p", `${root}tsconfig.build.json`], { cwd: root, stdio: "inherit" });
if (result.status !== 0) {
  // tsc may have emitted part of the tree; without a stamp bin/palyra.js ignores it.
  process.stderr.write(`build: tsc failed (${result.status ?? result.signal}); palyra runs the TypeScript sources until a build succeeds\n`);
  process.exit(optional ? 0 : 1);
}
mkdirSync(dist, { recursive: true });
writeFileSync(`${dist}/.build-stamp`, `${JSON.stringify({ startedAt })}\n`);
