import type { RequestHandler } from "express";
import { GatewayError } from "../shared/errors.js";
import type { AccessControl } from "../identity/access.js";
import { OpenAIRequestError } from "./openai/openai-error.js";

/**
 * Refuses /v1 requests without a valid credential before their body is even parsed, so an
 * unauthenticated caller learns nothing about request validation. The RPC interceptor still makes
 * the authoritative check (identifies the caller, checks its scope and limits) on the in-process call.
 */
export function requireCredential(access: AccessControl): RequestHandler {
  return async (req, _res, next) => {
    try {
      await access.authenticate(req.get("authorization"));
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
      return next(new OpenAIRequestError(error.message, { status: 401, type: "authentication_error", code: error.code ?? "invalid_api_key" }));
    }
    next();
  };
}
