// The baseline: a minimal node:http server, run in its own process, that answers every POST with a
// response captured from the gateway, byte for byte (JSON at once, or SSE frame by frame).
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { BaselineReply, BaselineSetup } from "./baseline-process.js";

interface Prepared {
  status: number;
  headers: Record<string, string | number>;
  chunks: Buffer[];
}

function prepare(captured: BaselineSetup["json"], contentLength: boolean): Prepared {
  const chunks = captured.chunks.map((chunk) => Buffer.from(chunk, "utf8"));
  const headers: Record<string, string | number> = { ...captured.headers };
  delete headers["content-length"];
  if (contentLength) headers["content-length"] = chunks.reduce((total, chunk) => total + chunk.length, 0);
  return { status: captured.status, headers, chunks };
}

function serve(setup: BaselineSetup): void {
  const json = prepare(setup.json, true);
  const sse = prepare(setup.sse, false);
  const server = http.createServer((req, res) => {
    if (req.method !== "POST") {
      res.writeHead(405, { "content-type": "text/plain" }).end("POST only\n");
      return;
    }
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      const reply = body.includes('"stream":true') ? sse : json;
      res.writeHead(reply.status, reply.headers);
      const last = reply.chunks.length - 1;
      reply.chunks.forEach((chunk, index) => (index === last ? res.end(chunk) : res.write(chunk)));
      if (last < 0) res.end();
    });
  });
  server.listen(0, "127.0.0.1", () => {
    const reply: BaselineReply = { type: "listening", port: (server.address() as AddressInfo).port };
    process.send?.(reply);
  });
}

process.once("message", (message: BaselineSetup) => serve(message));
// The harness going away (even without SIGTERM) ends the baseline too.
process.once("disconnect", () => process.exit(0));
