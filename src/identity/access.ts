import { GatewayError } from "../errors.js";
import { tokensMatch } from "./admin-token.js";
import { adminCaller, type Caller } from "./caller.js";

/** Decides who a bearer credential belongs to. */
export class AccessControl {
  constructor(private readonly adminToken: string) {}

  /** The caller an Authorization header value proves, or an auth error saying what is wrong. */
  authenticate(authorization: string | null | undefined): Caller {
    if (!authorization) {
      throw new GatewayError("auth", "Missing bearer token: send 'Authorization: Bearer <token>'", { code: "missing_api_key" });
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match?.[1] === undefined) {
      throw new GatewayError("auth", "Malformed Authorization header: expected 'Bearer <token>'", { code: "invalid_api_key" });
    }
    if (tokensMatch(match[1], this.adminToken)) return adminCaller;
    throw new GatewayError("auth", "Incorrect API key provided", { code: "invalid_api_key" });
  }
}
