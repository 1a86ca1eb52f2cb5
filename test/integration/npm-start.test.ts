import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { processIsRunning } from "../../src/shared/daemon-info.js";
import { cleanEnv, PalyraProcess } from "./support/palyra-process.js";

// `npm start` as a user runs it: stopping npm must stop the daemon, leaving nothing on the ports.
// npm runs the script through a shell and forwards SIGINT and SIGTERM to its child; the script execs
// node, so that child is the daemon itself.

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const started: PalyraProcess[] = [];

afterAll(() => {
  for (const npm of started) if (npm.running) process.kill(-(npm.child.pid ?? 0), "SIGKILL");
});

/** Runs `npm start` in its own process group (as a terminal would) and waits for the daemon's ready line. */
async function npmStart(): Promise<{ npm: PalyraProcess; stateDir: string; daemonPid: number }> {
  const stateDir = mkdtempSync(join(tmpdir(), "palyra-npm-start-"));
  const env = cleanEnv({
    PALYRA_STATE_ROOT: stateDir,
    PALYRA_GRPC_BIND: "127.0.0.1:0",
    PALYRA_HTTP_BIND: "127.0.0.1:0",
    PALYRA_ADMIN_TOKEN: "npm-start-token",
  });
  const npm = new PalyraProcess(spawn("npm", ["start"], { cwd: repoRoot, env, detached: true, stdio: ["ignore", "pipe", "pipe"] }));
  started.push(npm);
  await npm.stdout.waitFor((line) => line.includes('"msg":"ready"'), 'the daemon\'s "ready" line');
  const daemonPid = (JSON.parse(readFileSync(join(stateDir, "daemon.json"), "utf8")) as { pid: number }).pid;
  return { npm, stateDir, daemonPid };
}

describe("npm start", () => {
  it("stops the daemon when npm gets SIGTERM: no orphan keeps the ports", async () => {
    const { npm, stateDir, daemonPid } = await npmStart();
    expect(daemonPid).not.toBe(npm.child.pid);
    npm.child.kill("SIGTERM");
    await npm.exited;
    expect(processIsRunning(daemonPid)).toBe(false);
    expect(npm.stdout.lines.some((line) => line.includes('"msg":"stopped"'))).toBe(true);
    expect(existsSync(join(stateDir, "daemon.json"))).toBe(false);
  });

  it("stops gracefully on Ctrl-C, which reaches the daemon twice (from the terminal and from npm)", async () => {
    const { npm, daemonPid } = await npmStart();
    process.kill(-(npm.child.pid ?? 0), "SIGINT");
    const exit = await npm.exited;
    expect(processIsRunning(daemonPid)).toBe(false);
    expect(npm.stdout.lines.some((line) => line.includes('"msg":"stopped"'))).toBe(true);
    expect(npm.stderr.text).not.toContain("exiting now");
    expect(exit.code).toBe(0);
  });
});
