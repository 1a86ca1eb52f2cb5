import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/config-error.js";
import { embeddedSource, loadConfig } from "../../src/config/load-config.js";

function withConfig(toml: string, env: NodeJS.ProcessEnv = {}) {
  const dir = mkdtempSync(join(tmpdir(), "palyra-config-"));
  const file = join(dir, "palyra.toml");
  writeFileSync(file, toml);
  return { file, load: () => loadConfig({ path: file, stateDir: dir, env, cwd: dir }) };
}

function expectConfigError(toml: string, key: string, problem: RegExp) {
  const { file, load } = withConfig(toml);
  let error: unknown;
  try {
    load();
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).message).toContain(file);
  expect((error as ConfigError).key).toBe(key);
  expect((error as ConfigError).problem).toMatch(problem);
}

const provider = `
[[model_provider.providers]]
provider_id = "local"
kind = "deterministic"
`;

describe("loadConfig", () => {
  it("serves the deterministic provider when there is no config file", () => {
    const dir = mkdtempSync(join(tmpdir(), "palyra-config-"));
    const { config, source } = loadConfig({ stateDir: dir, env: {}, cwd: dir });
    expect(source).toBe(embeddedSource);
    expect(config.model_provider.providers.map((p) => p.kind)).toEqual(["deterministic"]);
    expect(config.model_provider.models.map((m) => [m.model_id, m.role])).toEqual([
      ["palyra-echo", "chat"],
      ["palyra-embed", "embeddings"],
      ["palyra-transcribe", "audio_transcription"],
    ]);
    expect(config.model_provider.max_retries).toBe(2);
  });

  it("finds palyra.toml in the state directory", () => {
    const dir = mkdtempSync(join(tmpdir(), "palyra-config-"));
    writeFileSync(join(dir, "palyra.toml"), `version = 1\n[daemon]\nshutdown_grace_ms = 5\n`);
    const { config, source } = loadConfig({ stateDir: dir, env: {}, cwd: tmpdir() });
    expect(source).toBe(join(dir, "palyra.toml"));
    expect(config.daemon.shutdown_grace_ms).toBe(5);
  });

  it("reads providers, models and defaults", () => {
    const { load } = withConfig(`version = 1
[model_provider]
default_chat_model_id = "b"
failover_enabled = false
${provider}
[[model_provider.models]]
model_id = "a"
provider_id = "local"
[[model_provider.models]]
model_id = "b"
provider_id = "local"
upstream_model = "bee"
vision = true
`);
    const { config } = load();
    expect(config.model_provider.default_chat_model_id).toBe("b");
    expect(config.model_provider.failover_enabled).toBe(false);
    expect(config.model_provider.models[1]).toMatchObject({ upstream_model: "bee", vision: true, role: "chat", enabled: true });
  });

  it("names unknown keys", () => {
    expectConfigError(`version = 1\n[model_provider]\nfailover = true\n`, "model_provider.failover", /unknown key/);
    expectConfigError(`version = 1\n${provider}colour = "red"\n`, "model_provider.providers[0].colour", /unknown key/);
    expectConfigError(`version = 1\n[surprise]\n`, "surprise", /unknown key/);
  });

  it("names wrong types and values", () => {
    expectConfigError(`version = 1\n[model_provider]\nmax_retries = "two"\n`, "model_provider.max_retries", /number/);
    expectConfigError(`version = 2\n`, "version", /written for version 2; this palyra reads up to 1; upgrade/);
    expectConfigError(`version = 0\n`, "version", /must be 1/);
    expectConfigError(`version = 1\n[[model_provider.providers]]\nprovider_id = "x"\nkind = "magic"\n`, "model_provider.providers[0].kind", /deterministic/);
    expectConfigError(`[daemon]\n`, "version", /missing/);
  });

  it("names bad references and duplicates", () => {
    expectConfigError(
      `version = 1\n${provider}[[model_provider.models]]\nmodel_id = "m"\nprovider_id = "ghost"\n`,
      "model_provider.models[0].provider_id",
      /ghost/,
    );
    expectConfigError(`version = 1\n${provider}${provider}`, "model_provider.providers[1].provider_id", /duplicate/);
    expectConfigError(
      `version = 1\n[model_provider]\ndefault_chat_model_id = "nope"\n${provider}[[model_provider.models]]\nmodel_id = "m"\nprovider_id = "local"\n`,
      "model_provider.default_chat_model_id",
      /nope/,
    );
    expectConfigError(
      `version = 1\n[model_provider]\ndefault_chat_model_id = "e"\n${provider}[[model_provider.models]]\nmodel_id = "e"\nprovider_id = "local"\nrole = "embeddings"\n`,
      "model_provider.default_chat_model_id",
      /role "embeddings"/,
    );
    expectConfigError(
      `version = 1\n[[model_provider.providers]]\nprovider_id = "o"\nkind = "openai_compatible"\n`,
      "model_provider.providers[0].base_url",
      /required/,
    );
    expectConfigError(
      `version = 1\n[[model_provider.providers]]\nprovider_id = "o"\nkind = "openai_compatible"\nbase_url = "https://api.example.com/v1"\napi_key = "k"\napi_key_vault_ref = "vault:k"\n`,
      "model_provider.providers[0]",
      /only one of api_key, api_key_vault_ref/,
    );
  });

  it("names prices for models that are not configured, and a second price for the same moment", () => {
    const model = `[[model_provider.models]]\nmodel_id = "gpt-4o-mini"\nprovider_id = "local"\n`;
    const price = (id: string, from = "") => `[[usage.pricing]]\nmodel_id = "${id}"\ninput_per_mtok = 1\n${from && `effective_from = "${from}"\n`}`;
    expectConfigError(`version = 1\n${provider}${model}${price("gpt-4o-mnii")}`, "usage.pricing[0].model_id", /no model with model_id "gpt-4o-mnii"/);
    expectConfigError(
      `version = 1\n${provider}${model}${price("gpt-4o-mini")}${price("gpt-4o-mini")}`,
      "usage.pricing[1]",
      /a second price for "gpt-4o-mini" without effective_from/,
    );
    expectConfigError(
      `version = 1\n${provider}${model}${price("gpt-4o-mini", "2026-01-01T00:00:00Z")}${price("gpt-4o-mini", "2026-01-01T01:00:00+01:00")}`,
      "usage.pricing[1]",
      /a second price for "gpt-4o-mini" effective from 2026-01-01T01:00:00\+01:00/,
    );
    // Prices for the same model from different moments are a price history, not a conflict.
    const history = withConfig(`version = 1\n${provider}${model}${price("gpt-4o-mini")}${price("gpt-4o-mini", "2026-06-01T00:00:00Z")}`);
    expect(history.load().config.usage.pricing).toHaveLength(2);
    // The embedded default models may be priced without being declared.
    expect(withConfig(`version = 1\n${price("palyra-echo")}`).load().config.usage.pricing).toHaveLength(1);
  });

  it("reports TOML syntax errors with line and column", () => {
    const { file, load } = withConfig(`version = 1\n[model_provider\n`);
    expect(load).toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:2:\\d+: invalid TOML`));
  });

  it("fails clearly when an explicit config file is missing", () => {
    expect(() => loadConfig({ path: "/nonexistent/palyra.toml", stateDir: tmpdir(), env: {} })).toThrow(/\/nonexistent\/palyra.toml: config file not found/);
  });

  it("applies PALYRA__SECTION__KEY environment overrides, validated like the file", () => {
    const { load } = withConfig(`version = 1\n`, { PALYRA__MODEL_PROVIDER__MAX_RETRIES: "5", PALYRA__DAEMON__LOG_LEVEL: "warn" });
    const { config, envOverrides } = load();
    expect(config.model_provider.max_retries).toBe(5);
    expect(config.daemon.log_level).toBe("warn");
    expect(envOverrides.sort()).toEqual(["daemon.log_level", "model_provider.max_retries"]);

    const bad = withConfig(`version = 1\n`, { PALYRA__MODEL_PROVIDER__MAX_RETRIES: "many" });
    expect(bad.load).toThrow(/model_provider.max_retries/);
  });
});
