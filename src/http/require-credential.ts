import type { RequestHandler } from "express";
import { GatewayError } from "../errors.js";
import type { AccessControl } from "../identity/access.js";
import { OpenAIRequestError } from "./openai/openai-error.js";

/**
 * Refuses /v1 requests without a valid credential before their body is even parsed, so an
 * unauthenticated caller learns nothing about request validation. The RPC interceptor still makes
 * the authoritative check (and identifies the caller) on the in-process call.
 */
export function requireCredential(access: AccessControl): RequestHandler {
  return (req, _res, next) => {
    try {
      access.authenticate(req.get("authorization"));
      next();
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
      next(new OpenAIRequestError(error.message, { status: 401, type: "authentication_error", code: error.code ?? "invalid_api_key" }));
    }
  };
}
