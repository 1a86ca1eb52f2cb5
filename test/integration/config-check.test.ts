import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanEnv, runPalyra } from "./support/palyra-process.js";

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory holding palyra.toml with `toml`, and a state directory path inside it that does not exist. */
function configDir(toml: string): { dir: string; file: string; stateDir: string } {
  const dir = mkdtempSync(join(tmpdir(), "palyra-config-check-"));
  tempDirs.push(dir);
  const file = join(dir, "palyra.toml");
  writeFileSync(file, toml);
  return { dir, file, stateDir: join(dir, "state") };
}

const goodConfig = `version = 1
[[model_provider.providers]]
provider_id = "local"
kind = "deterministic"
[[model_provider.models]]
model_id = "echo"
provider_id = "local"
[[model_provider.models]]
model_id = "embed"
provider_id = "local"
role = "embeddings"
`;

const badConfig = `version = 1
[daemon]
log_level = "loud"
[model_provider]
max_retries = "two"
[[model_provider.providers]]
provider_id = "local"
kind = "deterministic"
colour = "red"
[[model_provider.models]]
model_id = "echo"
provider_id = "ghost"
`;

describe("palyra config check", () => {
  it("passes a good file, exits 0, and names the file with what it configures", async () => {
    const { dir, file, stateDir } = configDir(goodConfig);
    const result = await runPalyra(["config", "check", "--config", file, "--state-dir", stateDir], { cwd: dir, env: cleanEnv() });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`ok: ${file} (1 provider, 2 models, 0 prices, 0 budgets)\n`);
    expect(existsSync(stateDir)).toBe(false);
  });

  it("finds palyra.toml where the daemon would, and lists applied overrides", async () => {
    const { dir, file, stateDir } = configDir(goodConfig);
    const result = await runPalyra(["config", "check", "--json", "--state-dir", stateDir], { cwd: dir, env: cleanEnv({ PALYRA__DAEMON__LOG_LEVEL: "warn" }) });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      ok: true,
      source: file,
      problems: [],
      providers: 1,
      models: 2,
      prices: 0,
      budgets: 0,
      envOverrides: ["daemon.log_level"],
    });
  });

  it("lists every problem of a bad file and its overrides, naming the file or the variable, and exits 2", async () => {
    const { dir, file, stateDir } = configDir(badConfig);
    const env = cleanEnv({ PALYRA__DAEMON__LOG_LEVL: "warn" });
    const result = await runPalyra(["config", "check", "--config", file, "--state-dir", stateDir], { cwd: dir, env });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr.split("\n")).toEqual([
      "palyra: 5 problems in the config:",
      `  ${file}: daemon.log_level: must be one of "fatal", "error", "warn", "info", "debug", "trace" or "silent", got "loud"`,
      "  PALYRA__DAEMON__LOG_LEVL: daemon.log_levl: unknown key (did you mean log_level?)",
      `  ${file}: model_provider.max_retries: expected a number, got a string`,
      `  ${file}: model_provider.providers[0].colour: unknown key`,
      `  ${file}: model_provider.models[0].provider_id: no provider with provider_id "ghost"`,
      "",
    ]);
    expect(existsSync(stateDir)).toBe(false);

    const json = await runPalyra(["config", "check", "--json", "--config", file, "--state-dir", stateDir], { cwd: dir, env });
    expect(json.code).toBe(2);
    const report = JSON.parse(json.stdout) as { ok: boolean; source: string; problems: { source: string; key: string; message: string }[] };
    expect(report.ok).toBe(false);
    expect(report.source).toBe(file);
    expect(report.problems).toHaveLength(5);
    expect(report.problems[1]).toEqual({ source: "PALYRA__DAEMON__LOG_LEVL", key: "daemon.log_levl", message: "unknown key (did you mean log_level?)" });
    expect(existsSync(stateDir)).toBe(false);
  });

  it("reports a TOML syntax error with its line, and a missing --config file, without a daemon", async () => {
    const { dir, file, stateDir } = configDir("version = 1\n[daemon\n");
    const syntax = await runPalyra(["config", "check", "--config", file, "--state-dir", stateDir], { cwd: dir, env: cleanEnv() });
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toMatch(new RegExp(`^palyra: 1 problem in the config:\\n  ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:2:\\d+: invalid TOML`));

    const missing = await runPalyra(["config", "check", "--config", join(dir, "nope.toml"), "--state-dir", stateDir], { cwd: dir, env: cleanEnv() });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`${join(dir, "nope.toml")}: config file not found`);
    expect(existsSync(stateDir)).toBe(false);
  });
});

describe("palyra daemon with a bad config", () => {
  it("prints the whole report, not just the first problem, and exits 2", async () => {
    const { dir, file, stateDir } = configDir(badConfig);
    const result = await runPalyra(["daemon", "--config", file, "--state-dir", stateDir, "--grpc-bind", "127.0.0.1:0", "--http-bind", "127.0.0.1:0"], {
      cwd: dir,
      env: cleanEnv({ PALYRA__DAEMON__LOG_LEVL: "warn" }),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^palyra: 5 problems in the config:\n/);
    expect(result.stderr).toContain("  PALYRA__DAEMON__LOG_LEVL: daemon.log_levl: unknown key (did you mean log_level?)\n");
    expect(result.stderr).toContain(`  ${file}: model_provider.models[0].provider_id: no provider with provider_id "ghost"\n`);
  });
});
