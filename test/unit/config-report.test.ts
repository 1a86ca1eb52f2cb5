import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, type ConfigProblem } from "../../src/config/config-error.js";
import { loadConfig } from "../../src/config/load-config.js";

/** Loads a config that must fail and returns its file and the error's problems. */
function problemsOf(toml: string, env: NodeJS.ProcessEnv = {}): { file: string; error: ConfigError; problems: readonly ConfigProblem[] } {
  const dir = mkdtempSync(join(tmpdir(), "palyra-config-report-"));
  const file = join(dir, "palyra.toml");
  writeFileSync(file, toml);
  try {
    loadConfig({ path: file, stateDir: dir, env, cwd: dir });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { file, error, problems: error.problems };
  }
  throw new Error("expected a ConfigError");
}

/** The one problem for `key`; fails when there is none or several. */
function problemAt(problems: readonly ConfigProblem[], key: string): ConfigProblem {
  const found = problems.filter((problem) => problem.key === key);
  expect(found, `problems for ${key} in ${JSON.stringify(problems)}`).toHaveLength(1);
  return found[0] as ConfigProblem;
}

const provider = `[[model_provider.providers]]\nprovider_id = "local"\nkind = "deterministic"\n`;

describe("the config error report", () => {
  it("lists every problem at once, one per line under a count, each naming the file and key", () => {
    const { file, error, problems } = problemsOf(`version = 1
[daemon]
log_level = "loud"
[model_provider]
max_retries = "two"
${provider}colour = "red"
`);
    expect(problems.map((problem) => problem.key)).toEqual(["daemon.log_level", "model_provider.max_retries", "model_provider.providers[0].colour"]);
    expect(problems.every((problem) => problem.source === file)).toBe(true);
    const lines = error.message.split("\n");
    expect(lines[0]).toBe("3 problems in the config:");
    expect(lines.slice(1)).toEqual([
      `  ${file}: daemon.log_level: must be one of "fatal", "error", "warn", "info", "debug", "trace" or "silent", got "loud"`,
      `  ${file}: model_provider.max_retries: expected a number, got a string`,
      `  ${file}: model_provider.providers[0].colour: unknown key`,
    ]);
    // Callers that handle one problem still find the first.
    expect(error.key).toBe("daemon.log_level");
    expect(error.configSource).toBe(file);
  });

  it("says which type it expected and which it got", () => {
    const { problems } = problemsOf(`version = 1
[daemon]
shutdown_grace_ms = 1.5
[model_provider]
failover_enabled = "yes"
providers = "none"
[auth]
oauth = 3
[usage]
timezone = ["UTC"]
`);
    expect(problemAt(problems, "daemon.shutdown_grace_ms").message).toBe("expected an integer, got a fractional number (1.5)");
    expect(problemAt(problems, "model_provider.failover_enabled").message).toBe("expected a boolean (true or false), got a string");
    expect(problemAt(problems, "model_provider.providers").message).toBe("expected an array, got a string");
    expect(problemAt(problems, "auth.oauth").message).toBe("expected a table, got an integer");
    expect(problemAt(problems, "usage.timezone").message).toBe("expected a string, got an array");
  });

  it("calls a required key that is absent missing, and lists the values an enum allows", () => {
    const { problems } = problemsOf(`version = 1\n[[model_provider.providers]]\nbase_url = "https://api.example.com/v1"\n`);
    expect(problemAt(problems, "model_provider.providers[0].provider_id").message).toBe("missing: expected a string");
    expect(problemAt(problems, "model_provider.providers[0].kind").message).toBe(
      'missing: expected one of "deterministic", "openai_compatible" or "anthropic"',
    );

    const wrongKind = problemsOf(`version = 1\n[[model_provider.providers]]\nprovider_id = "x"\nkind = "magic"\n`).problems;
    expect(problemAt(wrongKind, "model_provider.providers[0].kind").message).toBe(
      'must be one of "deterministic", "openai_compatible" or "anthropic", got "magic"',
    );
    const tableKind = problemsOf(`version = 1\n[[model_provider.providers]]\nprovider_id = "x"\nkind = { name = "magic" }\n`).problems;
    expect(problemAt(tableKind, "model_provider.providers[0].kind").message).toBe(
      'must be one of "deterministic", "openai_compatible" or "anthropic", got a table',
    );
  });

  it("suggests the key an unknown key was probably meant to be, from the keys its table accepts", () => {
    const { problems } = problemsOf(`version = 1
[daemon]
log_levl = "warn"
[model_provider]
failover = true
${provider}kidn = "deterministic"
api_key_secret_ref = { kind = "env", varible = "KEY" }
`);
    expect(problemAt(problems, "daemon.log_levl").message).toBe("unknown key (did you mean log_level?)");
    expect(problemAt(problems, "model_provider.failover").message).toBe("unknown key (did you mean failover_enabled?)");
    expect(problemAt(problems, "model_provider.providers[0].kidn").message).toBe("unknown key (did you mean kind?)");
    expect(problemAt(problems, "model_provider.providers[0].api_key_secret_ref.varible").message).toBe("unknown key (did you mean variable?)");
  });

  it("suggests nothing when no valid key is close", () => {
    const { problems } = problemsOf(`version = 1\n[surprise]\n[daemon]\nverbosity = 3\n${provider}colour = "red"\n`);
    expect(problemAt(problems, "surprise").message).toBe("unknown key");
    expect(problemAt(problems, "daemon.verbosity").message).toBe("unknown key");
    expect(problemAt(problems, "model_provider.providers[0].colour").message).toBe("unknown key");
  });

  it("names the environment variable for keys an override set, and the file for the rest", () => {
    const { file, error, problems } = problemsOf(`version = 1\n[daemon]\nshutdown_grace_ms = -1\n`, {
      PALYRA__DAEMON__LOG_LEVL: "warn",
      PALYRA__MODEL_PROVIDER__MAX_RETRIES: "many",
      PALYRA__DAEMON__LOG_LEVEL: "warn",
    });
    expect(problems).toEqual([
      { source: file, key: "daemon.shutdown_grace_ms", message: "must be at least 0, got -1" },
      { source: "PALYRA__DAEMON__LOG_LEVL", key: "daemon.log_levl", message: "unknown key (did you mean log_level?)" },
      { source: "PALYRA__MODEL_PROVIDER__MAX_RETRIES", key: "model_provider.max_retries", message: "expected a number, got a string" },
    ]);
    expect(error.message).toContain("\n  PALYRA__DAEMON__LOG_LEVL: daemon.log_levl: unknown key (did you mean log_level?)");
    expect(error.message).not.toContain(`${file}: daemon.log_levl`);
  });

  it("names the variable for a table an override created, and for cross-key problems with its key", () => {
    const { problems } = problemsOf(`version = 1\n${provider}[[model_provider.models]]\nmodel_id = "m"\nprovider_id = "local"\n`, {
      PALYRA__AUTH__OAUTH__CORP__CLIENT_ID: "palyra",
      PALYRA__MODEL_PROVIDER__DEFAULT_CHAT_MODEL_ID: "nope",
    });
    expect(problemAt(problems, "auth.oauth.corp.token_endpoint").source).toBe("PALYRA__AUTH__OAUTH__CORP__CLIENT_ID");
    expect(problemAt(problems, "model_provider.default_chat_model_id")).toMatchObject({
      source: "PALYRA__MODEL_PROVIDER__DEFAULT_CHAT_MODEL_ID",
      message: 'no model with model_id "nope"',
    });
  });

  it("reports reference problems together with schema problems", () => {
    const { problems } = problemsOf(`version = 1
[daemon]
log_level = "loud"
[model_provider]
default_chat_model_id = "nope"
${provider}max_retries = 99
[[model_provider.providers]]
provider_id = "local"
kind = "deterministic"
[[model_provider.models]]
model_id = "m"
provider_id = "ghost"
[[usage.pricing]]
model_id = "m-typo"
[usage]
timezone = "Mars/Base"
`);
    expect(problems.map((problem) => problem.key)).toEqual([
      "daemon.log_level",
      "model_provider.providers[0].max_retries",
      "model_provider.providers[1].provider_id",
      "model_provider.models[0].provider_id",
      "model_provider.default_chat_model_id",
      "usage.pricing[0].model_id",
      "usage.timezone",
    ]);
    expect(problemAt(problems, "model_provider.providers[1].provider_id").message).toBe('duplicate provider_id "local"');
  });

  it("does not judge a rejected value's stand-in: a bad base_url is not also reported as missing", () => {
    const { problems } = problemsOf(
      `version = 1\n[[model_provider.providers]]\nprovider_id = "o"\nkind = "openai_compatible"\nbase_url = "ftp://files.example.com"\n`,
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ key: "model_provider.providers[0].base_url", message: "must be an http(s) URL" });
  });

  it("still reports every budget problem when version is missing", () => {
    const { problems } = problemsOf(`[[usage.budgets]]
policy_id = "team"
scope_kind = "agent"
metric_kind = "tokens"
interval_kind = "daily"
hard_limit_value = 1000
[[usage.budgets]]
policy_id = "team"
scope_kind = "global"
scope_id = "x"
metric_kind = "tokens"
interval_kind = "daily"
hard_limit_value = 1000
`);
    expect(problems.map((problem) => [problem.key, problem.message])).toEqual([
      ["version", "missing: the file must declare version = 1"],
      ["usage.budgets[0].scope_id", expect.stringContaining('required for scope_kind "agent"')],
      ["usage.budgets[1].policy_id", 'duplicate policy_id "team"'],
      ["usage.budgets[1].scope_id", "must be empty for a global policy"],
    ]);
  });
});
