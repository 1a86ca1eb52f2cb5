import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configSchema, type GatewayConfig } from "../../src/config/schema.js";
import type { SecretStore } from "../../src/identity/vault/secret-store.js";
import { openSqliteStore, type Store } from "../../src/store/open-store.js";

/** A SecretStore in a Map, for unit tests of the cores that use the vault. */
export class MemorySecretStore implements SecretStore {
  readonly values = new Map<string, string>();

  async put(name: string, value: string): Promise<void> {
    this.values.set(name, value);
  }

  async get(name: string): Promise<string | undefined> {
    return this.values.get(name);
  }

  async delete(name: string): Promise<boolean> {
    return this.values.delete(name);
  }
}

/** A clock tests move by hand. */
export function manualClock(start = 1_700_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms), set: (at: number) => void (now = at) };
}

/** A real SQLite file in a fresh temporary directory, migrated. */
export async function openTestStore(): Promise<Store> {
  return openSqliteStore(join(mkdtempSync(join(tmpdir(), "palyra-auth-")), "palyra.sqlite"));
}

/** A parsed config with one [auth.oauth.test] provider (public client) and the given extras. */
export function authTestConfig(extra: Record<string, unknown> = {}): GatewayConfig {
  return configSchema.parse({
    version: 1,
    auth: {
      oauth: {
        test: {
          authorization_endpoint: "https://auth.example.test/authorize",
          token_endpoint: "https://auth.example.test/token",
          client_id: "palyra",
          scopes: ["api", "offline_access"],
          redirect_uri: "http://127.0.0.1:7143/oauth/callback",
        },
      },
    },
    ...extra,
  });
}
