import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/config-error.js";
import { loadConfig } from "../../src/config/load-config.js";

// [[automation.jobs]] problems are reported like every config problem: by file and key.

function problemsOf(toml: string): { key: string; message: string }[] {
  const dir = mkdtempSync(join(tmpdir(), "palyra-cron-config-"));
  const file = join(dir, "palyra.toml");
  writeFileSync(file, toml);
  try {
    loadConfig({ path: file, stateDir: dir, env: {}, cwd: dir });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems.map(({ key, message }) => ({ key, message }));
  }
  return [];
}

const job = (fields: string) => `\n[[automation.jobs]]\nprompt = "hello"\n${fields}\n`;

describe("[automation] config checks", () => {
  it("accepts cron, every_ms and at jobs in known zones", () => {
    const toml = `version = 1\n[automation]\ntimezone = "Europe/Prague"\n${job('job_id = "a"\ncron = "0 9 * * 1-5"')}${job('job_id = "b"\nevery_ms = 60000')}${job('job_id = "c"\nat = "2030-01-01T00:00:00Z"')}`;
    expect(problemsOf(toml)).toEqual([]);
  });

  it("names the key of a bad cron expression, time zone, duplicate id and unknown model", () => {
    const toml = `version = 1\n[automation]\ntimezone = "Mars/Olympus"\n${job('job_id = "a"\ncron = "0 9 * * *"\ntimezone = "UTC"')}${job('job_id = "a"\nevery_ms = 1000')}${job('job_id = "c"\ncron = "0 25 * * *"\ntimezone = "Europe/Prague"')}${job('job_id = "d"\ncron = "0 9 * * *"\ntimezone = "Atlantis/Capital"\nmodel = "no-such-model"')}`;
    const problems = problemsOf(toml);
    const keys = problems.map((problem) => problem.key);
    expect(keys).toEqual(
      expect.arrayContaining([
        "automation.timezone",
        "automation.jobs[1].job_id",
        "automation.jobs[2].cron",
        "automation.jobs[3].timezone",
        "automation.jobs[3].model",
      ]),
    );
    expect(problems.find((problem) => problem.key === "automation.jobs[1].job_id")?.message).toContain('duplicate job_id "a"');
    expect(problems.find((problem) => problem.key === "automation.jobs[3].model")?.message).toContain("no-such-model");
  });

  it("names the key of a schema problem: an interval under a second, a job with two schedules", () => {
    const keys = problemsOf(`version = 1\n${job('job_id = "a"\nevery_ms = 500')}${job('job_id = "b"\nevery_ms = 5000\ncron = "* * * * *"')}`).map(
      (problem) => problem.key,
    );
    expect(keys).toEqual(expect.arrayContaining(["automation.jobs[0].every_ms", "automation.jobs[1]"]));
  });
});
