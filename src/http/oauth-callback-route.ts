import { ConnectError } from "@connectrpc/connect";
import type { RequestHandler, Response } from "express";
import { kindOfConnectError } from "../rpc/error-mapping.js";
import { presentationOf } from "../rpc/error-table.js";
import type { Logger } from "../shared/logger.js";
import type { RpcClients } from "./rpc-clients.js";

export const oauthCallbackPath = "/oauth/callback";

/** The daemon's own redirect URI for a listener at "host:port" (a wildcard bind is reached on loopback). */
export function oauthCallbackUrl(httpAddress: string): string {
  const local = httpAddress.replace(/^0\.0\.0\.0:/, "127.0.0.1:").replace(/^\[::\]:/, "[::1]:");
  return `http://${local}${oauthCallbackPath}`;
}

/**
 * GET /oauth/callback?code=&state=: where the authorization server sends the browser back. Calls
 * CompleteOAuth in-process and answers a short page. Neither the page nor the log ever repeats the
 * code or the state, and the page asks the browser not to pass its URL on as a referrer.
 */
export function oauthCallbackRoute(clients: RpcClients, logger: Logger): RequestHandler {
  return async (req, res) => {
    const query = req.query as Record<string, unknown>;
    const code = typeof query.code === "string" ? query.code : "";
    const state = typeof query.state === "string" ? query.state : "";
    if (typeof query.error === "string") {
      return page(res, 400, "Login failed", `The authorization server answered "${query.error.slice(0, 64)}". Start the login again.`);
    }
    if (code === "" || state === "") return page(res, 400, "Login failed", "The callback needs both a code and a state.");
    try {
      const { profile } = await clients.auth.completeOAuth({ state, code });
      return page(res, 200, "Login complete", `Auth profile "${profile?.profileId ?? ""}" is connected. You can close this window.`);
    } catch (error) {
      const connectError = ConnectError.from(error);
      const said = connectError.rawMessage.split(code).join("<code>").split(state).join("<state>");
      const status = presentationOf(kindOfConnectError(connectError)).httpStatus;
      if (status >= 500) logger.warn({ reason: said }, "OAuth callback failed");
      return page(res, status, "Login failed", said);
    }
  };
}

function page(res: Response, status: number, title: string, message: string): void {
  res
    .status(status)
    .set({ "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "referrer-policy": "no-referrer" })
    .send(
      `<!doctype html><html><head><meta charset="utf-8"><title>Palyra: ${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>\n`,
    );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
