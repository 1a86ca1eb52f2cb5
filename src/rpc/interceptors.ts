import type { Interceptor, StreamResponse } from "@connectrpc/connect";
import type { AccessControl } from "../identity/access.js";
import { callerKey, preflightCredentialKey } from "./caller-context.js";
import { toConnectError } from "./error-mapping.js";
import { procedureAccess } from "./procedure-scopes.js";

/** Turns core errors, thrown before or during a response stream, into ConnectErrors. */
export const errorMappingInterceptor: Interceptor = (next) => async (req) => {
  try {
    const res = await next(req);
    return res.stream ? { ...res, message: mapStreamErrors(res.message) } : res;
  } catch (error) {
    throw toConnectError(error);
  }
};

async function* mapStreamErrors(messages: StreamResponse["message"]): StreamResponse["message"] {
  try {
    yield* messages;
  } catch (error) {
    throw toConnectError(error);
  }
}

/**
 * Requires a valid bearer credential with the procedure's scope on every non-public procedure
 * (and, for calls that start runs, a key within its rate limits), and records the caller.
 */
export function authInterceptor(access: AccessControl): Interceptor {
  return (next) => async (req) => {
    const needs = procedureAccess(req.service.typeName, `/${req.service.typeName}/${req.method.name}`);
    if (needs === "public") return next(req);
    const preflight = req.contextValues.get(preflightCredentialKey);
    if (preflight !== undefined && "refused" in preflight) throw preflight.refused;
    const verified = preflight?.verified ?? (await access.verify(req.header.get("authorization")));
    req.contextValues.set(callerKey, access.permit(verified, needs));
    return next(req);
  };
}
