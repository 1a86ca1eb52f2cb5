#!/usr/bin/env node
// The `palyra` command. It runs the compiled JavaScript in dist/ (built by `npm run build`, which
// `npm ci` runs through the `prepare` script and `npm test` runs first) while that build is at least
// as new as every source; otherwise it runs the TypeScript sources through tsx, as before a build
// existed. So an edited source always takes effect, and a stale build is never run.
// Loading the sources through tsx costs seconds of start-up; the compiled build, a fraction of that.
import { readdirSync, readFileSync, statSync } from "node:fs";

const root = new URL("..", import.meta.url);

/** The newest modification time of the directory tree (the directories too: an added or removed file changes theirs). */
function newestMtimeMs(directory) {
  let newest = statSync(directory).mtimeMs;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = `${directory}/${entry.name}`;
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** The directory under dist/ of the last complete build, if it started after the last change to what it was built from. */
function freshBuild() {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(new URL("dist/.build-stamp", root), "utf8"));
  } catch {
    return undefined; // No build yet.
  }
  const { startedAt, build } = stamp;
  if (typeof startedAt !== "number" || typeof build !== "string") return undefined;
  const sources = ["src", "gen"].map((name) => new URL(name, root).pathname);
  const configs = ["tsconfig.json", "tsconfig.build.json"].map((name) => statSync(new URL(name, root)).mtimeMs);
  return Math.max(...configs, ...sources.map(newestMtimeMs)) < startedAt ? build : undefined;
}

const build = freshBuild();
if (build !== undefined) {
  const { runCli } = await import(new URL(`dist/${build}/src/cli/index.js`, root).href);
  await runCli(process.argv);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  const { runCli } = await import("../src/cli/index.ts");
  await runCli(process.argv);
}
