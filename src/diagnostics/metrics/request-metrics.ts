import type { Registry } from "prom-client";
import { type CounterSeries, DeferredCounter, SeriesCache } from "./deferred-counter.js";

/** The methods an HTTP series names; any other method a client sends counts as "OTHER" (bounded). */
const knownMethods = new Set(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]);

/**
 * HTTP requests by method, matched route pattern and status, and RPC calls by procedure and code.
 * A request costs two map lookups and a field add on a cached series. The route is the pattern
 * Express matched ("/v1/models/*id"), never the URL, and "unmatched" for requests no route took
 * (refused before routing, or unknown URLs), so the series are bounded by the app's routes.
 */
export class RequestMetrics {
  private readonly http: SeriesCache<Map<number, CounterSeries>>;
  private readonly rpc: SeriesCache<CounterSeries>;

  constructor(registry: Registry) {
    const httpCounter = new DeferredCounter(registry, {
      name: "palyra_http_requests_total",
      help: "HTTP requests answered, by method, matched route pattern and status",
      labelNames: ["method", "route", "status"],
    });
    const rpcCounter = new DeferredCounter(registry, {
      name: "palyra_rpc_requests_total",
      help: "RPC calls on the gRPC/Connect listener, by procedure and code (/v1 requests count as HTTP requests)",
      labelNames: ["procedure", "code"],
    });
    this.http = new SeriesCache(() => new Map());
    this.httpSeries = (method, route, status) => httpCounter.series({ method, route, status: String(status) });
    this.rpc = new SeriesCache((procedure, code) => rpcCounter.series({ procedure, code }));
  }

  private readonly httpSeries: (method: string, route: string, status: number) => CounterSeries;

  /** One HTTP request answered; `route` is the matched pattern or undefined. */
  httpRequest(method: string, route: string | undefined, status: number): void {
    const methodLabel = knownMethods.has(method) ? method : "OTHER";
    const routeLabel = route ?? "unmatched";
    const byStatus = this.http.get(methodLabel, routeLabel);
    let series = byStatus.get(status);
    if (series === undefined) {
      series = this.httpSeries(methodLabel, routeLabel, status);
      byStatus.set(status, series);
    }
    series.pending++;
  }

  /** One RPC call ended; `procedure` is "package.Service/Method", `code` the gRPC code's name ("ok", "unauthenticated", …). */
  rpcRequest(procedure: string, code: string): void {
    this.rpc.get(procedure, code).pending++;
  }
}
