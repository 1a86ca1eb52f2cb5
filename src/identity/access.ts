import { GatewayError } from "../shared/errors.js";
import { tokenMatcher } from "./admin-token.js";
import type { ApiKeys, VerifiedKey } from "./api-keys/api-keys.js";
import type { ApiKeyRateLimits } from "./api-keys/rate-limits.js";
import { requireScope, type Scope } from "./api-keys/scopes.js";
import { adminCaller, type Caller } from "./caller.js";

/** What a call needs beyond a valid credential. */
export interface CallNeeds {
  scope: Scope;
  /** Calls that start runs count against a key's request and token limits. */
  startsRun: boolean;
}

export interface AccessControlOptions {
  /** Client API keys; without them only the admin token is accepted. */
  apiKeys?: ApiKeys;
  rateLimits?: ApiKeyRateLimits;
}

const admin: VerifiedKey = { caller: adminCaller, limits: { rpm: 0, tpm: 0 } };

/** Decides who a bearer credential belongs to, and what it may do. */
export class AccessControl {
  private readonly isAdminToken: (presented: string) => boolean;

  constructor(
    adminToken: string,
    private readonly options: AccessControlOptions = {},
  ) {
    this.isAdminToken = tokenMatcher(adminToken);
  }

  /** The caller an Authorization header value proves, or an auth error saying what is wrong. */
  async authenticate(authorization: string | null | undefined): Promise<Caller> {
    return (await this.verify(authorization)).caller;
  }

  /**
   * Authenticates, then checks the scope the call needs and, for calls that start runs, the key's
   * rate limits: an auth, permission or rate_limit error, or the caller.
   */
  async authorize(authorization: string | null | undefined, needs: CallNeeds): Promise<Caller> {
    return this.permit(await this.verify(authorization), needs);
  }

  /** For a credential verified earlier in the same request: its scope for the call and, for calls that start runs, its rate limits. */
  permit({ caller, limits }: VerifiedKey, needs: CallNeeds): Caller {
    requireScope(caller.scopes, needs.scope, caller.id);
    if (needs.startsRun && caller.kind === "api_key") this.options.rateLimits?.admit(caller.id, limits);
    return caller;
  }

  /** The key an Authorization header value proves (with its limits), or an auth error saying what is wrong. */
  async verify(authorization: string | null | undefined): Promise<VerifiedKey> {
    if (!authorization) {
      throw new GatewayError("auth", "Missing bearer token: send 'Authorization: Bearer <token>'", { code: "missing_api_key" });
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match?.[1] === undefined) {
      throw new GatewayError("auth", "Malformed Authorization header: expected 'Bearer <token>'", { code: "invalid_api_key" });
    }
    const token = match[1];
    if (this.isAdminToken(token)) return admin;
    const apiKeys = this.options.apiKeys;
    if (apiKeys?.recognizes(token)) return apiKeys.verify(token);
    throw new GatewayError("auth", "Incorrect API key provided", { code: "invalid_api_key" });
  }
}
