import { type CallOptions, createContextValues } from "@connectrpc/connect";
import type { Request, RequestHandler } from "express";
import type { AccessControl } from "../identity/access.js";
import type { VerifiedKey } from "../identity/api-keys/api-keys.js";
import { preflightCredentialKey } from "../rpc/caller-context.js";

const verifiedKeys = new WeakMap<Request, VerifiedKey>();

/**
 * Refuses /v1 requests without a valid credential before their body is even parsed, so an
 * unauthenticated caller learns nothing about request validation. The key it verifies goes with the
 * request's in-process RPC call (rpcCallOptions), where the auth interceptor checks its scope and
 * limits without verifying it again: one verification per request.
 */
export function requireCredential(access: AccessControl): RequestHandler {
  return async (req, _res, next) => {
    try {
      verifiedKeys.set(req, await access.verify(req.get("authorization")));
    } catch (error) {
      // An auth GatewayError: the error handler answers it by its kind, like any RPC's.
      return next(error);
    }
    next();
  };
}

/** The options of an RPC call made in process on behalf of a /v1 request: its credential, verified once. */
export function rpcCallOptions(req: Request, signal?: AbortSignal): CallOptions {
  const authorization = req.get("authorization");
  const verified = verifiedKeys.get(req);
  const contextValues = createContextValues();
  if (verified !== undefined) contextValues.set(preflightCredentialKey, { verified });
  return { headers: authorization === undefined ? {} : { authorization }, contextValues, ...(signal !== undefined && { signal }) };
}
