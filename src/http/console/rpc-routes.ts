import { type CallOptions, createContextValues, type Transport } from "@connectrpc/connect";
import { type Request, type Response, Router } from "express";
import type { AccessControl } from "../../identity/access.js";
import { preflightCredentialKey } from "../../rpc/caller-context.js";
import { clip } from "../../shared/clip.js";
import { OpenAIRequestError } from "../openai/openai-error.js";
import { requireCredential, rpcCallOptions } from "../require-credential.js";
import { answerRpc, signalOf } from "./call-rpc.js";
import { consoleProcedures, getDiagnosticsMethod } from "./console-procedures.js";
import { requireCsrf, requireSession, sessionOf } from "./session-guard.js";
import type { ConsoleSessionStore } from "./session-store.js";

/**
 * POST /console/v1/rpc/<package.Service>/<Method>: one of the console's RPCs (console-procedures.ts),
 * protobuf JSON in and out, for a signed-in session with its CSRF token. GET /console/v1/diagnostics:
 * GetDiagnostics as protobuf JSON, for the admin bearer token or a session.
 */
export function rpcRoutes(store: ConsoleSessionStore, access: AccessControl, transport: Transport): Router {
  const router = Router();

  router.post("/rpc/:service/:method", requireSession(store), requireCsrf, async (req, res, next) => {
    const procedure = `${req.params.service}/${req.params.method}`;
    const method = consoleProcedures.get(procedure);
    if (method === undefined) {
      return next(new OpenAIRequestError(`The console does not call ${clip(procedure, 128)}`, { kind: "not_found", code: "unknown_procedure" }));
    }
    try {
      await answerRpc(transport, method, req.body, sessionCallOptions(req, res), res);
    } catch (error) {
      next(error);
    }
  });

  const viaBearer = requireCredential(access);
  const viaSession = requireSession(store);
  router.get(
    "/diagnostics",
    (req, res, next) => (req.get("authorization") === undefined ? viaSession(req, res, next) : viaBearer(req, res, next)),
    async (req, res, next) => {
      const options = sessionOf(req) === undefined ? rpcCallOptions(req, signalOf(res)) : sessionCallOptions(req, res);
      try {
        await answerRpc(transport, getDiagnosticsMethod, {}, options, res);
      } catch (error) {
        next(error);
      }
    },
  );

  return router;
}

/** A session stands for the credential it signed in with: the auth interceptor checks its scope as for a bearer call. */
function sessionCallOptions(req: Request, res: Response): CallOptions {
  const session = sessionOf(req);
  const contextValues = createContextValues();
  if (session !== undefined) contextValues.set(preflightCredentialKey, { verified: session.verified });
  return { contextValues, signal: signalOf(res) };
}
