import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import type { VerifiedKey } from "../identity/api-keys/api-keys.js";
import type { Caller } from "../identity/caller.js";
import { GatewayError } from "../shared/errors.js";

/** The authenticated caller of the current RPC, set by the auth interceptor. */
export const callerKey = createContextKey<Caller | undefined>(undefined, { description: "authenticated caller" });

export function requireCaller(context: HandlerContext): Caller {
  const caller = context.values.get(callerKey);
  // Only reachable if a route is registered without the auth interceptor.
  if (caller === undefined) throw new GatewayError("auth", "the call is not authenticated");
  return caller;
}

/**
 * The credential the gRPC listener verified from the request's headers before reading its body, so the
 * auth interceptor does not verify it again; or the error that refused it, which the interceptor throws.
 */
export const preflightCredentialKey = createContextKey<{ verified: VerifiedKey } | { refused: unknown } | undefined>(undefined, {
  description: "credential checked before the body was read",
});
