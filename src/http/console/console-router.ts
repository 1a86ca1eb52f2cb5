import type { Transport } from "@connectrpc/connect";
import { type RequestHandler, Router } from "express";
import type { ConsoleConfig } from "../../config/schema.js";
import type { AccessControl } from "../../identity/access.js";
import { jsonBody } from "../json-body.js";
import { OpenAIRequestError } from "../openai/openai-error.js";
import { rpcRoutes } from "./rpc-routes.js";
import { sessionRoutes } from "./session-routes.js";
import { ConsoleSessionStore } from "./session-store.js";
import { staticFiles } from "./static-files.js";

export interface ConsoleOptions {
  config: ConsoleConfig;
  /** The clock sessions expire on (default Date.now): tests move it instead of waiting a TTL out. */
  clock?: (() => number) | undefined;
}

/** The console's requests are small (an id, a prompt to explain): a larger body is refused unread. */
const maxConsoleBodyBytes = 64 * 1024;

/**
 * Everything under /console: the JSON routes at /console/v1 (sessions, the console's RPCs, diagnostics)
 * and the page with its files. Undefined when [console] enabled = false, so /console answers 404.
 */
export function consoleRouter(options: ConsoleOptions, access: AccessControl, transport: Transport): Router | undefined {
  if (!options.config.enabled) return undefined;
  const store = new ConsoleSessionStore(options.config.session_ttl_ms, options.clock);
  const router = Router();
  router.use("/v1", (_req, res, next) => {
    res.set("cache-control", "no-store");
    next();
  });
  router.use("/v1", onlyJsonBodies, jsonBody(maxConsoleBodyBytes));
  router.use("/v1", sessionRoutes(store, access, options.config.session_ttl_ms));
  router.use("/v1", rpcRoutes(store, access, transport));
  router.use(staticFiles());
  return router;
}

/** A body that is not JSON is refused unread (and the connection closed behind it): the console sends nothing else. */
const onlyJsonBodies: RequestHandler = (req, res, next) => {
  const hasBody = Number(req.headers["content-length"] ?? 0) > 0 || req.headers["transfer-encoding"] !== undefined;
  if (!hasBody || /^application\/json\s*(?:;|$)/i.test(req.headers["content-type"] ?? "")) return next();
  res.setHeader("connection", "close");
  next(new OpenAIRequestError("The console's routes take JSON bodies (Content-Type: application/json)", { status: 415, code: "unsupported_media_type" }));
};
