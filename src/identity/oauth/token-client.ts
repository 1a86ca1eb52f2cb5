import * as oauth from "oauth4webapi";
import { GatewayError } from "../../shared/errors.js";
import { redactSecrets } from "../../shared/redact-secrets.js";
import { sanitizeUpstreamText } from "../../shared/sanitize-upstream.js";
import { createGuardedOAuthFetch, isLoopbackHost, type OAuthFetch } from "./guarded-oauth-fetch.js";
import type { OAuthClientSettings } from "./oauth-settings.js";

/** What a token endpoint granted. */
export interface TokenSet {
  accessToken: string;
  /** Absent when the server issued (or, on refresh, rotated to) no new refresh token. */
  refreshToken: string | undefined;
  /** Lifetime of the access token in milliseconds, when the server said. */
  expiresInMs: number | undefined;
  scope: string | undefined;
}

export interface CodeExchange {
  code: string;
  state: string;
  redirectUri: string;
  codeVerifier: string;
}

/** The two token endpoint calls the daemon makes. */
export interface TokenClient {
  exchangeCode(client: OAuthClientSettings, exchange: CodeExchange): Promise<TokenSet>;
  refresh(client: OAuthClientSettings, refreshToken: string): Promise<TokenSet>;
}

/** Token endpoint calls with oauth4webapi, every request through the guarded fetch. */
export function createTokenClient(fetch: OAuthFetch = createGuardedOAuthFetch().fetch): TokenClient {
  const requestOptions = (client: OAuthClientSettings) => {
    const endpoint = new URL(client.tokenEndpoint);
    return {
      [oauth.customFetch]: fetch,
      // oauth4webapi wants https; a loopback server (local development, tests) may use plain http.
      ...(endpoint.protocol === "http:" && isLoopbackHost(endpoint.hostname) && { [oauth.allowInsecureRequests]: true }),
    };
  };
  return {
    async exchangeCode(client, exchange) {
      const { as, oauthClient, auth } = describe(client);
      try {
        const params = oauth.validateAuthResponse(as, oauthClient, new URLSearchParams({ code: exchange.code, state: exchange.state }), exchange.state);
        const response = await oauth.authorizationCodeGrantRequest(
          as,
          oauthClient,
          auth,
          params,
          exchange.redirectUri,
          exchange.codeVerifier,
          requestOptions(client),
        );
        return toTokenSet(await oauth.processAuthorizationCodeResponse(as, oauthClient, response));
      } catch (error) {
        throw tokenEndpointError(error, client, [exchange.code, exchange.codeVerifier, exchange.state]);
      }
    },
    async refresh(client, refreshToken) {
      const { as, oauthClient, auth } = describe(client);
      try {
        const response = await oauth.refreshTokenGrantRequest(as, oauthClient, auth, refreshToken, requestOptions(client));
        return toTokenSet(await oauth.processRefreshTokenResponse(as, oauthClient, response));
      } catch (error) {
        throw tokenEndpointError(error, client, [refreshToken]);
      }
    },
  };
}

function describe(client: OAuthClientSettings) {
  const as: oauth.AuthorizationServer = { issuer: client.issuer, token_endpoint: client.tokenEndpoint };
  const oauthClient: oauth.Client = { client_id: client.clientId };
  const secret = client.clientSecret ?? "";
  const auth =
    client.authMethod === "client_secret_post"
      ? oauth.ClientSecretPost(secret)
      : client.authMethod === "client_secret_basic"
        ? oauth.ClientSecretBasic(secret)
        : oauth.None();
  return { as, oauthClient, auth };
}

function toTokenSet(response: oauth.TokenEndpointResponse): TokenSet {
  return {
    accessToken: response.access_token,
    refreshToken: response.refresh_token,
    expiresInMs: typeof response.expires_in === "number" ? response.expires_in * 1000 : undefined,
    scope: response.scope,
  };
}

/** A token endpoint failure in the core vocabulary. The message never carries codes, verifiers or tokens. */
export function tokenEndpointError(error: unknown, client: OAuthClientSettings, secrets: readonly string[]): GatewayError {
  const where = `the token endpoint of [auth.oauth.${client.name}]`;
  const clean = (text: string) => redactSecrets(sanitizeUpstreamText(text), secrets);
  if (error instanceof GatewayError) return new GatewayError(error.kind, clean(error.message), { code: error.code ?? "oauth_failed" });
  if (error instanceof oauth.ResponseBodyError) {
    const description = error.error_description ? ` (${clean(error.error_description)})` : "";
    const kind = error.status >= 500 ? "transient" : "permanent";
    return new GatewayError(kind, `${where} refused the request: ${clean(error.error)}${description}`, { code: `oauth_${error.error}`.slice(0, 64) });
  }
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  if (cause instanceof GatewayError) return new GatewayError(cause.kind, clean(cause.message), { code: cause.code ?? "oauth_failed" });
  if (cause instanceof Response || (typeof cause === "object" && cause !== null && "status" in cause && typeof cause.status === "number")) {
    const status = (cause as { status: number }).status;
    const kind = status >= 500 || status === 429 ? "transient" : "permanent";
    return new GatewayError(kind, `${where} answered HTTP ${status}`, { code: "oauth_http_error" });
  }
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return new GatewayError("timeout", `${where} did not answer in time`, { code: "oauth_timeout" });
  }
  const message = error instanceof Error ? error.message : String(error);
  const detail = (cause as { code?: string; message?: string } | undefined)?.code ?? (cause as Error | undefined)?.message;
  return new GatewayError("network", `${where} could not be used: ${clean(detail ? `${message} (${detail})` : message)}`, { code: "oauth_network" });
}
