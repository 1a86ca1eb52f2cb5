import type { Request, RequestHandler, Response } from "express";
import { tokensMatch } from "../../identity/admin-token.js";
import { OpenAIRequestError } from "../openai/openai-error.js";
import type { ConsoleSession, ConsoleSessionStore } from "./session-store.js";

export const sessionCookieName = "palyra_console";
export const csrfHeaderName = "x-palyra-csrf";

const sessions = new WeakMap<Request, ConsoleSession>();

/** The session a request was admitted with (by requireSession). */
export function sessionOf(req: Request): ConsoleSession | undefined {
  return sessions.get(req);
}

/** The session cookie's value, from the Cookie header (no cookie parser: this is the one cookie read). */
export function sessionIdOf(req: Request): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === sessionCookieName) return value.join("=");
  }
  return undefined;
}

/** Sets the session cookie: unreadable to scripts, never sent by another site's request, only to /console. */
export function setSessionCookie(res: Response, session: ConsoleSession, maxAgeMs: number): void {
  res.cookie(sessionCookieName, session.id, { httpOnly: true, sameSite: "strict", path: "/console", maxAge: maxAgeMs });
}

export function clearSessionCookie(res: Response): void {
  res.clearCookie(sessionCookieName, { httpOnly: true, sameSite: "strict", path: "/console" });
}

/** Admits a request with a live session cookie; 401 (auth) without one or with an expired one. */
export function requireSession(store: ConsoleSessionStore): RequestHandler {
  return (req, _res, next) => {
    const session = store.get(sessionIdOf(req));
    if (session === undefined) return next(new OpenAIRequestError("Sign in to the console first (no live session)", { kind: "auth", code: "no_session" }));
    sessions.set(req, session);
    next();
  };
}

/**
 * Every change (any method but GET and HEAD) must carry the session's CSRF token in a header, which a
 * page of another site cannot read or set, and must not come from another origin. 403 (permission) otherwise.
 */
export const requireCsrf: RequestHandler = (req, _res, next) => {
  if (req.method === "GET" || req.method === "HEAD") return next();
  const refusal = crossOriginRefusal(req);
  if (refusal !== undefined) return next(refusal);
  const presented = req.get(csrfHeaderName);
  const session = sessions.get(req);
  if (session === undefined || presented === undefined || !tokensMatch(presented, session.csrfToken)) {
    return next(
      new OpenAIRequestError(`A change needs the session's CSRF token in the ${csrfHeaderName} header`, { kind: "permission", code: "csrf_mismatch" }),
    );
  }
  next();
};

/**
 * Refuses a request a browser marked as coming from another origin: an Origin header naming another host
 * than the one addressed, or Sec-Fetch-Site saying cross-site. Clients that send neither (curl) pass on to
 * the token checks.
 */
export function crossOriginRefusal(req: Request): OpenAIRequestError | undefined {
  const fetchSite = req.get("sec-fetch-site");
  const origin = req.get("origin");
  let crossOrigin = fetchSite !== undefined && fetchSite !== "same-origin" && fetchSite !== "none";
  if (origin !== undefined) {
    try {
      crossOrigin ||= new URL(origin).host !== req.get("host");
    } catch {
      // "null" (a sandboxed frame, a file: page) or garbage: not this origin.
      crossOrigin = true;
    }
  }
  return crossOrigin ? new OpenAIRequestError("Cross-origin requests to the console are refused", { kind: "permission", code: "cross_origin" }) : undefined;
}
