// The fake OpenAI upstream: a minimal node:http server, run in its own process on 127.0.0.1:0, that
// answers every chat completion with the same short reply (bench/fake-reply.ts). Every answer is
// precomputed at start-up, so a request costs reading its body and writing a few prepared buffers.
//   POST /v1/chat/completions  "stream":true → SSE: 5 content chunks, a finish chunk, a usage-only
//                              chunk (choices: []), data: [DONE], one write per frame;
//                              otherwise → one chat.completion JSON object with usage.
//   GET  /v1/models            → the model list.
// Requests need `authorization: Bearer <upstreamApiKey>`, so the bench sees that the gateway sends it.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { replyPieces, replyText, replyUsage, upstreamApiKey, upstreamModel } from "./fake-reply.js";
import type { FakeUpstreamStats, ListeningReply } from "./upstream-processes.js";

const created = Math.floor(Date.now() / 1000);
const id = "chatcmpl-fake-upstream";
const expectedAuthorization = `Bearer ${upstreamApiKey}`;
const streamFlag = Buffer.from('"stream":true');

const json = (value: unknown) => Buffer.from(JSON.stringify(value), "utf8");
const frame = (value: unknown) => Buffer.from(`data: ${JSON.stringify(value)}\n\n`, "utf8");
const chunk = (delta: Record<string, string>, finishReason: string | null) =>
  frame({
    id,
    object: "chat.completion.chunk",
    created,
    model: upstreamModel,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    usage: null,
  });

const sseFrames: Buffer[] = [
  ...replyPieces.map((content, index) => chunk(index === 0 ? { role: "assistant", content } : { content }, null)),
  chunk({}, "stop"),
  frame({ id, object: "chat.completion.chunk", created, model: upstreamModel, choices: [], usage: replyUsage }),
  Buffer.from("data: [DONE]\n\n"),
];
const sseHeaders = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" };

const completion = json({
  id,
  object: "chat.completion",
  created,
  model: upstreamModel,
  choices: [{ index: 0, message: { role: "assistant", content: replyText, refusal: null }, logprobs: null, finish_reason: "stop" }],
  usage: replyUsage,
});
const completionHeaders = { "content-type": "application/json", "content-length": completion.length };

const models = json({ object: "list", data: [{ id: upstreamModel, object: "model", created, owned_by: "palyra-bench" }] });
const modelsHeaders = { "content-type": "application/json", "content-length": models.length };

function errorBody(_status: number, message: string, type: string, code: string): [Buffer, Record<string, string | number>] {
  const body = json({ error: { message, type, param: null, code } });
  return [body, { "content-type": "application/json", "content-length": body.length }];
}
const [unauthorized, unauthorizedHeaders] = errorBody(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key");
const [notFound, notFoundHeaders] = errorBody(404, "Unknown path.", "invalid_request_error", "not_found");

const stats: FakeUpstreamStats = { type: "stats", chatStreamed: 0, chatJson: 0, models: 0, rejected: 0 };

function reject(res: http.ServerResponse, status: number, body: Buffer, headers: Record<string, string | number>): void {
  stats.rejected++;
  res.writeHead(status, headers).end(body);
}

function chatCompletions(req: http.IncomingMessage, res: http.ServerResponse): void {
  const parts: Buffer[] = [];
  req.on("data", (part: Buffer) => parts.push(part));
  req.on("end", () => {
    const body = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    if (body.includes(streamFlag)) {
      stats.chatStreamed++;
      res.writeHead(200, sseHeaders);
      const last = sseFrames.length - 1;
      for (let index = 0; index < last; index++) res.write(sseFrames[index]);
      res.end(sseFrames[last]);
    } else {
      stats.chatJson++;
      res.writeHead(200, completionHeaders).end(completion);
    }
  });
}

function serve(): void {
  const server = http.createServer((req, res) => {
    if (req.headers.authorization !== expectedAuthorization) {
      req.resume();
      reject(res, 401, unauthorized, unauthorizedHeaders);
    } else if (req.method === "POST" && req.url === "/v1/chat/completions") {
      chatCompletions(req, res);
    } else if (req.method === "GET" && req.url === "/v1/models") {
      stats.models++;
      res.writeHead(200, modelsHeaders).end(models);
    } else {
      req.resume();
      reject(res, 404, notFound, notFoundHeaders);
    }
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1", () => {
    const reply: ListeningReply = { type: "listening", port: (server.address() as AddressInfo).port };
    process.send?.(reply);
  });
}

process.once("message", () => {
  serve();
  // Later messages ask for the request counts.
  process.on("message", () => process.send?.({ ...stats }));
});
// The harness going away (even without SIGTERM) ends the fake too.
process.once("disconnect", () => process.exit(0));
