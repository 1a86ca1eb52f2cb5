#!/usr/bin/env node
// `npm run build`: compiles src/ and gen/ with tsc (tsconfig.build.json) into a new directory
// dist/<build>/, then points dist/.build-stamp at it with the time the build started. bin/palyra.js
// runs that build only while no file under src/ or gen/ is newer than the stamp, so a stale build is
// never run. A build never touches the one processes may be running from: it writes a new directory,
// swaps the stamp in one rename, and then removes the builds older than the previous one.
//
// With --optional (the `prepare` script, run by `npm ci`), a build that cannot run (no TypeScript,
// as with --omit=dev) or fails leaves the stamp as it was and exits 0: palyra then runs the sources
// through tsx. `npx palyra` in a checkout runs `prepare` too (npm links the folder into its cache);
// there it is skipped: a stale or missing build only means palyra runs the sources.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = `${root}dist`;
const optional = process.argv.includes("--optional");
if (optional && process.env.npm_command === "exec") process.exit(0);

// Taken before tsc reads anything: a source saved while it compiles is newer than the stamp.
const startedAt = Date.now();
const build = `${startedAt}-${process.pid}`;

const tsc = `${root}node_modules/typescript/bin/tsc`;
if (!existsSync(tsc)) {
  if (optional) process.exit(0);
  process.stderr.write("build: typescript is not installed (npm ci installs it)\n");
  process.exit(1);
}
mkdirSync(dist, { recursive: true });
const result = spawnSync(process.execPath, [tsc, "-p", `${root}tsconfig.build.json`, "--outDir", `${dist}/${build}`], { cwd: root, stdio: "inherit" });
if (result.status !== 0) {
  rmSync(`${dist}/${build}`, { recursive: true, force: true });
  process.stderr.write(`build: tsc failed (${result.status ?? result.signal}); palyra runs the TypeScript sources until a build succeeds\n`);
  process.exit(optional ? 0 : 1);
}

let previous;
try {
  previous = JSON.parse(readFileSync(`${dist}/.build-stamp`, "utf8")).build;
} catch {
  previous = undefined;
}
writeFileSync(`${dist}/.build-stamp.${process.pid}`, `${JSON.stringify({ startedAt, build })}\n`);
renameSync(`${dist}/.build-stamp.${process.pid}`, `${dist}/.build-stamp`);
for (const entry of readdirSync(dist)) {
  if (entry !== build && entry !== previous && !entry.startsWith(".")) rmSync(`${dist}/${entry}`, { recursive: true, force: true });
}
