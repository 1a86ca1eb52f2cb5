import type { Readable } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import type { Request, RequestHandler } from "express";
import { jsonNestsDeeperThan, maxJsonDepth } from "../shared/json-depth.js";
import { OpenAIRequestError } from "./openai/openai-error.js";

const jsonType = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Reads a JSON request body into req.body: the bytes counted against the limit as they arrive (after
 * decompression, so a small gzip bomb is refused like a large body), the nesting checked before
 * JSON.parse (every walk after it would otherwise overflow the stack), and each refusal an OpenAI-shaped
 * error that says what is wrong. Bodies of other types are left for their route (multipart uploads),
 * which refuses what it cannot read. A lean replacement for express.json: one buffer, one parse.
 */
export function jsonBody(maxBytes: number): RequestHandler {
  return (req, res, next) => {
    if (req.method === "GET" || req.method === "HEAD" || !jsonType.test(req.headers["content-type"] ?? "")) return next();
    const charset = /;\s*charset\s*=\s*"?([\w-]+)/i.exec(req.headers["content-type"] ?? "")?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== "utf-8" && charset !== "utf8") {
      return next(new OpenAIRequestError(`Unsupported charset "${charset}": send JSON as UTF-8`, { status: 415, code: "unsupported_encoding" }));
    }
    // A body refused before it is read in full leaves the connection unusable: say so, or a keep-alive
    // client would send its next request into the rest of this one.
    const refuseUnread = (error: Error) => {
      res.setHeader("connection", "close");
      next(error);
    };
    if (Number(req.headers["content-length"]) > maxBytes) return refuseUnread(tooLarge(maxBytes));
    let source: Readable;
    try {
      source = decoded(req);
    } catch (error) {
      return refuseUnread(error as Error);
    }
    readBody(source, maxBytes, (error, body) => {
      if (error !== undefined) return refuseUnread(error);
      try {
        req.body = parseJson(body ?? Buffer.alloc(0));
      } catch (parseError) {
        return next(parseError);
      }
      next();
    });
  };
}

function tooLarge(maxBytes: number): OpenAIRequestError {
  return new OpenAIRequestError(`The request body is larger than the gateway accepts (${maxBytes} bytes)`, { status: 413, code: "request_too_large" });
}

/** The body's bytes as sent, decompressed per Content-Encoding. */
function decoded(req: Request): Readable {
  const encoding = (req.headers["content-encoding"] ?? "identity").trim().toLowerCase();
  if (encoding === "identity" || encoding === "") return req;
  const inflate =
    encoding === "gzip" || encoding === "x-gzip"
      ? createGunzip()
      : encoding === "deflate"
        ? createInflate()
        : encoding === "br"
          ? createBrotliDecompress()
          : undefined;
  if (inflate === undefined)
    throw new OpenAIRequestError(`Unsupported Content-Encoding "${encoding}": send gzip, deflate, br or none`, { status: 415, code: "unsupported_encoding" });
  req.on("error", (error) => inflate.destroy(error));
  return req.pipe(inflate);
}

function readBody(source: Readable, maxBytes: number, done: (error: Error | undefined, body?: Buffer) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const finish = (error: Error | undefined, body?: Buffer) => {
    if (finished) return;
    finished = true;
    source.off("data", onData);
    done(error, body);
  };
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size > maxBytes) {
      // Stop reading; the answer goes out and the connection closes behind it.
      source.pause();
      return finish(tooLarge(maxBytes));
    }
    chunks.push(chunk);
  };
  source.on("data", onData);
  source.once("end", () => finish(undefined, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)));
  source.once("error", (error) => finish(new OpenAIRequestError(`The request body could not be read: ${error.message}`, { code: "invalid_request" })));
}

function parseJson(body: Buffer): unknown {
  // An empty body reads as {}, so the route names the first missing field.
  if (body.length === 0) return {};
  if (jsonNestsDeeperThan(body)) throw new OpenAIRequestError(`The JSON body nests deeper than ${maxJsonDepth} levels`, { code: "invalid_json" });
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (error) {
    throw new OpenAIRequestError(`We could not parse the JSON body of your request: ${(error as Error).message}`, { code: "invalid_json" });
  }
}
