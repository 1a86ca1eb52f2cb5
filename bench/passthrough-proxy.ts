// The pass-through proxy: the least a node:http gateway can do. Run in its own process on
// 127.0.0.1:0, it forwards every request to the fake upstream over a keep-alive pool, piping the
// request body up and the response body down, with the status and end-to-end headers unchanged.
// The gateway's throughput in front of the fake upstream is reported as a ratio to this one's.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { ListeningReply, ProxySetup } from "./upstream-processes.js";

// Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are not forwarded.
const hopByHop = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "proxy-authorization",
  "proxy-authenticate",
]);

function endToEnd(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const kept: http.OutgoingHttpHeaders = {};
  for (const name in headers) if (!hopByHop.has(name)) kept[name] = headers[name];
  return kept;
}

function serve(setup: ProxySetup): void {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256, scheduling: "lifo" });
  const upstreamHost = `127.0.0.1:${setup.upstreamPort}`;
  const server = http.createServer((req, res) => {
    const headers = endToEnd(req.headers);
    headers.host = upstreamHost;
    const upstream = http.request({ host: "127.0.0.1", port: setup.upstreamPort, method: req.method, path: req.url, headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
      answer.pipe(res);
    });
    upstream.on("error", (error) => {
      if (res.headersSent) res.destroy(error);
      else res.writeHead(502, { "content-type": "text/plain" }).end(`upstream error: ${error.message}\n`);
    });
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1", () => {
    const reply: ListeningReply = { type: "listening", port: (server.address() as AddressInfo).port };
    process.send?.(reply);
  });
}

process.once("message", (message: ProxySetup) => serve(message));
// The harness going away (even without SIGTERM) ends the proxy too.
process.once("disconnect", () => process.exit(0));
