import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { GatewayConfig } from "../../src/config/schema.js";
import { knownSecretValues } from "../../src/diagnostics/known-secrets.js";

describe("knownSecretValues", () => {
  it("collects the admin token, inline secrets, env and file references and URL query secrets, never a reference's name", () => {
    const file = join(mkdtempSync(join(tmpdir(), "palyra-known-")), "key");
    writeFileSync(file, "from-the-file\n");
    const config = {
      model_provider: {
        providers: [
          { provider_id: "a", api_key: "inline-key", base_url: "https://x.test/v1?api_key=in-the-query" },
          { provider_id: "b", api_key_secret_ref: { kind: "env", variable: "B_KEY" } },
          { provider_id: "c", api_key_secret_ref: { kind: "file", path: file } },
          { provider_id: "d", api_key_vault_ref: "vault:never-read" },
        ],
      },
      auth: { oauth: { corp: { client_secret_ref: { kind: "env", variable: "MISSING" } } } },
    } as unknown as GatewayConfig;
    const values = knownSecretValues({ config, env: { B_KEY: "from-env", PALYRA_VAULT_KEY: "vault-master" }, adminToken: "admin-tok" });
    expect(values.sort()).toEqual(["admin-tok", "from-env", "from-the-file", "in-the-query", "inline-key", "vault-master"].sort());
  });
});
