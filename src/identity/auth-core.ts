import type { Kysely } from "kysely";
import type { GatewayConfig } from "../config/schema.js";
import type { Logger } from "../shared/logger.js";
import { type PeriodicTask, startPeriodicTask } from "../shared/periodic-task.js";
import type { Database } from "../store/tables.js";
import { AuthProfiles } from "./auth-profiles/auth-profiles.js";
import { ProfileCredentials } from "./auth-profiles/profile-credentials.js";
import type { ApiKeyValidator } from "./auth-profiles/profile-types.js";
import { OAuthLogins } from "./oauth/oauth-logins.js";
import { RefreshBackoff } from "./oauth/refresh-backoff.js";
import { createTokenClient, type TokenClient } from "./oauth/token-client.js";
import { TokenRefresher } from "./oauth/token-refresher.js";
import type { SecretStore } from "./vault/secret-store.js";

export interface AuthCoreDeps {
  db: Kysely<Database>;
  secrets: SecretStore;
  config: GatewayConfig;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** The daemon's /oauth/callback URL once the HTTP server listens. */
  defaultRedirectUri: () => string | undefined;
  tokens?: TokenClient;
  /** Checks API keys before profiles store them; the registry provides it, since it builds providers. */
  validateKey: ApiKeyValidator;
  now?: () => number;
}

/** Auth profiles, OAuth logins, token refresh and per-request provider credentials, wired together. */
export interface AuthCore {
  profiles: AuthProfiles;
  logins: OAuthLogins;
  refresher: TokenRefresher;
  credentials: ProfileCredentials;
  /** Refreshes due OAuth profiles every [auth].refresh_check_interval_ms (unref'd) and sweeps expired logins. */
  startRefreshLoop(): PeriodicTask;
}

export function createAuthCore(deps: AuthCoreDeps): AuthCore {
  const { db, secrets, config, env, logger } = deps;
  const now = deps.now ?? Date.now;
  const tokens = deps.tokens ?? createTokenClient();
  const backoff = new RefreshBackoff({ initialMs: config.auth.refresh_backoff_initial_ms, maxMs: config.auth.refresh_backoff_max_ms }, now);
  const profiles = new AuthProfiles({ db, secrets, modelProvider: config.model_provider, now, validateKey: deps.validateKey });
  const refresher = new TokenRefresher({ db, secrets, tokens, auth: config.auth, env, backoff, logger, now });
  const logins = new OAuthLogins({ db, secrets, profiles, auth: config.auth, tokens, env, defaultRedirectUri: deps.defaultRedirectUri, now });
  const credentials = new ProfileCredentials({ db, secrets, refresher });
  const startRefreshLoop = () =>
    startPeriodicTask(
      async (signal) => {
        await logins.sweepExpired();
        await refresher.refreshDue(signal);
      },
      config.auth.refresh_check_interval_ms,
      (error) => logger.warn({ reason: error instanceof Error ? error.message : String(error) }, "OAuth refresh loop failed"),
    );
  return { profiles, logins, refresher, credentials, startRefreshLoop };
}
