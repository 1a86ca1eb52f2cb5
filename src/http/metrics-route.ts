import type express from "express";
import type { RequestHandler } from "express";
import type { GatewayMetrics } from "../diagnostics/metrics/gateway-metrics.js";
import type { AccessControl } from "../identity/access.js";

export interface HttpMetricsOptions {
  metrics: GatewayMetrics;
  /** [metrics] public: scrapable without a token; otherwise the admin token is needed. */
  public: boolean;
}

/**
 * Counts every HTTP request by method, matched route pattern and status, and serves GET /metrics
 * (Prometheus text format). Mounted first, so every request is counted, /metrics included.
 */
export function mountMetrics(app: express.Express, options: HttpMetricsOptions | undefined, access: AccessControl): void {
  if (options === undefined) return;
  const { metrics } = options;
  app.use(countRequests(metrics));
  app.get("/metrics", options.public ? scrape(metrics) : [requireAdmin(access), scrape(metrics)]);
}

function countRequests(metrics: GatewayMetrics): RequestHandler {
  const { requests } = metrics;
  return (req, res, next) => {
    // "close" comes for every response, finished or cut off; the route is known by then.
    res.once("close", () => requests.httpRequest(req.method, routePattern(req), res.statusCode));
    next();
  };
}

/**
 * The pattern Express matched ("/v1/models/*id", "/console/v1/session"), never the URL; undefined
 * when no route took the request. A mounted router's prefix is its baseUrl, which stays set when one
 * of its routes answered (a route that passed an error on to the app's handler shows without it).
 */
function routePattern(req: express.Request): string | undefined {
  const path: unknown = req.route?.path;
  if (typeof path !== "string") return undefined;
  return req.baseUrl === "" ? path : req.baseUrl + path;
}

function requireAdmin(access: AccessControl): RequestHandler {
  return async (req, _res, next) => {
    try {
      await access.authorize(req.get("authorization"), { scope: "admin", startsRun: false });
      next();
    } catch (error) {
      // Answered by the app's error handler as an OpenAI-shaped 401/403, like /v1's refusals.
      next(error);
    }
  };
}

function scrape(metrics: GatewayMetrics): RequestHandler {
  return async (_req, res, next) => {
    try {
      const body = await metrics.scrape();
      res.setHeader("content-type", metrics.contentType);
      res.setHeader("cache-control", "no-store");
      res.end(body);
    } catch (error) {
      next(error);
    }
  };
}
