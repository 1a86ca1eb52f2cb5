import express, { type ErrorRequestHandler, type RequestHandler } from "express";
import type { AccessControl } from "../identity/access.js";
import { clip } from "../shared/clip.js";
import type { Logger } from "../shared/logger.js";
import { type ConsoleOptions, consoleRouter } from "./console/console-router.js";
import { jsonBody } from "./json-body.js";
import { oauthCallbackPath, oauthCallbackRoute } from "./oauth-callback-route.js";
import { chatCompletionsRoute } from "./openai/chat-completions-route.js";
import { embeddingsRoute } from "./openai/embeddings-route.js";
import { modelsRouter } from "./openai/models-route.js";
import { OpenAIRequestError, sendOpenAIError, toOpenAIError } from "./openai/openai-error.js";
import { transcriptionsRoute, transcriptionUpload, transcriptionUploadErrors } from "./openai/transcriptions-route.js";
import { requireCredential } from "./require-credential.js";
import type { RpcClients } from "./rpc-clients.js";

export interface HttpAppOptions {
  clients: RpcClients;
  access: AccessControl;
  maxBodyBytes: number;
  logger: Logger;
  startedAt: number;
  console: ConsoleOptions;
}

/** The HTTP/1.1 surface: the OpenAI /v1 adapter and a health probe. No logic beyond translation. */
export function createHttpApp(options: HttpAppOptions): express.Express {
  const { clients } = options;
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);

  app.get("/healthz", async (_req, res) => {
    const health = await clients.gateway.getHealth({});
    res.json({ status: health.status, version: health.version, uptime_seconds: health.uptimeSeconds });
  });

  // Reached by the authorization server's browser redirect, without a token: the state authenticates it.
  app.get(oauthCallbackPath, oauthCallbackRoute(clients, options.logger));

  const webConsole = consoleRouter(options.console, options.access, clients.transport);
  if (webConsole !== undefined) app.use("/console", webConsole);

  app.use("/v1", requireCredential(options.access), jsonBody(options.maxBodyBytes));
  app.post("/v1/chat/completions", chatCompletionsRoute(clients));
  app.post("/v1/embeddings", embeddingsRoute(clients));
  app.post("/v1/audio/transcriptions", transcriptionUpload, transcriptionUploadErrors, transcriptionsRoute(clients));
  app.use(modelsRouter(clients, Math.floor(options.startedAt / 1000)));
  app.use("/v1", unknownUrl);

  // Outside /v1 as inside (where the credential is checked first): an OpenAI-shaped 404, never an HTML page.
  app.use(unknownUrl);

  const answerErrors: ErrorRequestHandler = (error, req, res, _next) => {
    const answer = toOpenAIError(error);
    if (answer.status >= 500) options.logger.error({ err: error, url: req.originalUrl }, "request failed");
    if (res.headersSent) {
      res.end();
      return;
    }
    sendOpenAIError(res, answer);
  };
  app.use(answerErrors);
  return app;
}

const unknownUrl: RequestHandler = (req, _res, next) => {
  next(new OpenAIRequestError(`Unknown request URL: ${req.method} ${clip(req.originalUrl, 256)}`, { kind: "not_found", code: "unknown_url" }));
};
