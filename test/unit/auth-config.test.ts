import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/config-error.js";
import { loadConfig } from "../../src/config/load-config.js";

function load(toml: string) {
  const dir = mkdtempSync(join(tmpdir(), "palyra-auth-config-"));
  const file = join(dir, "palyra.toml");
  writeFileSync(file, `version = 1\n${toml}`);
  return loadConfig({ path: file, stateDir: dir, env: {}, cwd: dir });
}

function problemOf(toml: string): { key: string; problem: string } {
  try {
    load(toml);
  } catch (error) {
    if (error instanceof ConfigError) return { key: error.key, problem: error.problem };
    throw error;
  }
  throw new Error("expected a ConfigError");
}

const provider = (fields: string) => `
[auth.oauth.corp]
authorization_endpoint = "https://login.example.com/authorize"
token_endpoint = "https://login.example.com/token"
client_id = "palyra"
${fields}
`;

describe("[auth] config", () => {
  it("has defaults and reads OAuth providers", () => {
    expect(load("").config.auth).toEqual({
      refresh_check_interval_ms: 60_000,
      refresh_backoff_initial_ms: 30_000,
      refresh_backoff_max_ms: 1_800_000,
      oauth: {},
    });
    const corp = load(provider('scopes = ["api"]\nclient_secret_ref = { kind = "env", variable = "CORP_SECRET" }')).config.auth.oauth.corp;
    expect(corp).toMatchObject({ client_id: "palyra", scopes: ["api"], client_secret_ref: { kind: "env", variable: "CORP_SECRET" } });
    expect(corp?.redirect_uri).toBeUndefined();
  });

  it("allows plain http only for loopback endpoints", () => {
    const local = load(`
[auth.oauth.dev]
authorization_endpoint = "http://127.0.0.1:9000/authorize"
token_endpoint = "http://localhost:9000/token"
client_id = "palyra"
redirect_uri = "http://[::1]:7143/oauth/callback"
`);
    expect(local.config.auth.oauth.dev?.token_endpoint).toBe("http://localhost:9000/token");
    const plainHttp = problemOf(provider("").replace("https://login.example.com/token", "http://login.example.com/token"));
    expect(plainHttp.key).toBe("auth.oauth.corp.token_endpoint");
    expect(plainHttp.problem).toContain("https");
    expect(problemOf(provider('redirect_uri = "http://10.0.0.5/cb"')).key).toBe("auth.oauth.corp.redirect_uri");
    expect(problemOf(provider("").replace("https://login.example.com/authorize", "ftp://x/authorize")).key).toBe("auth.oauth.corp.authorization_endpoint");
  });

  it("names unknown keys, missing fields and bad secret refs", () => {
    expect(problemOf(provider('client_secret = "inline"'))).toMatchObject({ key: "auth.oauth.corp.client_secret" });
    expect(problemOf(provider("").replace('client_id = "palyra"', "")).key).toBe("auth.oauth.corp.client_id");
    expect(problemOf(provider('client_secret_ref = { kind = "vault", name = "x" }')).key).toMatch(/^auth\.oauth\.corp\.client_secret_ref/);
    expect(problemOf("[auth]\nrefresh_check_interval_ms = 0").key).toBe("auth.refresh_check_interval_ms");
  });
});
