import { Router } from "express";
import type { AccessControl } from "../../identity/access.js";
import { OpenAIRequestError } from "../openai/openai-error.js";
import { clearSessionCookie, crossOriginRefusal, requireCsrf, requireSession, sessionIdOf, sessionOf, setSessionCookie } from "./session-guard.js";
import type { ConsoleSession, ConsoleSessionStore } from "./session-store.js";

/**
 * /console/v1/session: POST signs in with the admin token (JSON {"token"}) and sets the session cookie;
 * GET tells a reloaded page its CSRF token (a page of another site cannot read the answer); DELETE signs out.
 */
export function sessionRoutes(store: ConsoleSessionStore, access: AccessControl, ttlMs: number): Router {
  const router = Router();

  router.post("/session", async (req, res, next) => {
    const refusal = crossOriginRefusal(req);
    if (refusal !== undefined) return next(refusal);
    const token = (req.body as { token?: unknown } | undefined)?.token;
    if (typeof token !== "string" || token === "") return next(new OpenAIRequestError('Send the admin token as JSON: {"token": "..."}', { param: "token" }));
    try {
      const verified = await access.verify(`Bearer ${token}`);
      // Client keys, even admin-scoped ones, are for programs; the console is the operator's.
      if (verified.caller.kind !== "admin") {
        return next(
          new OpenAIRequestError("The console signs in with the admin token, not a client key", { kind: "permission", code: "admin_token_required" }),
        );
      }
      const session = store.create(verified);
      setSessionCookie(res, session, ttlMs);
      res.json(sessionAnswer(session));
    } catch (error) {
      next(error);
    }
  });

  router.get("/session", requireSession(store), (req, res) => {
    res.json(sessionAnswer(sessionOf(req) as ConsoleSession));
  });

  router.delete("/session", requireSession(store), requireCsrf, (req, res) => {
    const id = sessionIdOf(req);
    if (id !== undefined) store.delete(id);
    clearSessionCookie(res);
    res.status(204).end();
  });

  return router;
}

function sessionAnswer(session: ConsoleSession) {
  return { csrf_token: session.csrfToken, expires_at: new Date(session.expiresAt).toISOString() };
}
