import { once } from "node:events";
import { request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { brotliCompressSync, gzipSync } from "node:zlib";
import express, { type ErrorRequestHandler } from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonBody } from "../../src/http/json-body.js";
import { sendOpenAIError, toOpenAIError } from "../../src/http/openai/openai-error.js";

// The /v1 JSON body reader on a real HTTP server: what it accepts, and how it refuses what it must.
const limit = 1024;
let server: Server;
let port: number;

beforeAll(async () => {
  const app = express();
  app.use(jsonBody(limit));
  app.post("/echo", (req, res) => res.json({ body: req.body ?? null }));
  const answerErrors: ErrorRequestHandler = (error, _req, res, _next) => sendOpenAIError(res, toOpenAIError(error));
  app.use(answerErrors);
  server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  port = (server.address() as AddressInfo).port;
});
afterAll(() => server.close());

interface Answer {
  status: number;
  connection: string | undefined;
  json: { body?: unknown; error?: { message: string; code: string; type: string } };
}

function post(body: Buffer | string, headers: Record<string, string> = { "content-type": "application/json" }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path: "/echo", method: "POST", headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, json: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    // The server may answer and close before it reads all of an over-large body.
    req.on("error", reject);
    req.end(body);
  });
}

describe("the /v1 JSON body reader", () => {
  it("parses JSON, plain or compressed, and reads an empty body as {}", async () => {
    expect((await post('{"a":[1,2]}')).json.body).toEqual({ a: [1, 2] });
    expect((await post(gzipSync('{"zipped":true}'), { "content-type": "application/json", "content-encoding": "gzip" })).json.body).toEqual({ zipped: true });
    expect((await post(brotliCompressSync('{"br":1}'), { "content-type": "application/json; charset=utf-8", "content-encoding": "br" })).json.body).toEqual({
      br: 1,
    });
    expect((await post("")).json.body).toEqual({});
  });

  it("leaves bodies of other types to their route", async () => {
    expect((await post("a=1", { "content-type": "application/x-www-form-urlencoded" })).json.body).toBeNull();
  });

  it("refuses a body over the limit, declared or streamed or inflated, with 413 and a closed connection", async () => {
    const big = JSON.stringify({ text: "x".repeat(limit) });
    const declared = await post(big);
    expect(declared.status).toBe(413);
    expect(declared.json.error).toMatchObject({ code: "request_too_large", type: "invalid_request_error" });
    expect(declared.json.error?.message).toContain(`${limit} bytes`);
    expect(declared.connection).toBe("close");

    const streamed = await post(big, { "content-type": "application/json", "transfer-encoding": "chunked" });
    expect(streamed.status).toBe(413);
    expect(streamed.connection).toBe("close");

    // A few hundred bytes of gzip that inflate past the limit are refused like a large body.
    const bomb = gzipSync(JSON.stringify({ text: "y".repeat(100 * limit) }));
    expect(bomb.length).toBeLessThan(limit);
    const inflated = await post(bomb, { "content-type": "application/json", "content-encoding": "gzip" });
    expect(inflated.status).toBe(413);
  });

  it("names what is wrong with malformed, too deep, mis-encoded or unsupported bodies", async () => {
    const malformed = await post('{"a":');
    expect(malformed.status).toBe(400);
    expect(malformed.json.error).toMatchObject({ code: "invalid_json" });
    expect(malformed.json.error?.message).toMatch(/could not parse the JSON body/);

    const deep = await post("[".repeat(100) + "]".repeat(100));
    expect(deep.status).toBe(400);
    expect(deep.json.error?.message).toMatch(/nests deeper than 64 levels/);

    const latin1 = await post('{"a":1}', { "content-type": "application/json; charset=latin1" });
    expect(latin1.status).toBe(415);
    expect(latin1.json.error?.message).toContain('"latin1"');

    const zstd = await post('{"a":1}', { "content-type": "application/json", "content-encoding": "zstd" });
    expect(zstd.status).toBe(415);
    expect(zstd.json.error?.message).toContain('"zstd"');

    const corrupt = await post(Buffer.from("not gzip at all"), { "content-type": "application/json", "content-encoding": "gzip" });
    expect(corrupt.status).toBe(400);
    expect(corrupt.json.error?.message).toMatch(/could not be read/);
  });
});
