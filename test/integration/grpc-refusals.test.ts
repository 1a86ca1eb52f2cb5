import http2 from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";
import { envelope } from "./support/hostile-grpc.js";

// What an unauthenticated, oversized or undecodable call to the gRPC listener gets. The first two are
// answered from the headers and the message's length prefix, while the caller is still sending, with
// nothing buffered; the last as the caller's mistake in each protocol's framing.

let gateway: TestGateway;
let session: http2.ClientHttp2Session;

beforeAll(async () => {
  gateway = await startTestGateway();
  session = http2.connect(gateway.grpcBase);
});

afterAll(async () => {
  session?.close();
  await gateway?.stop();
});

/**
 * Opens a call, sends a length prefix announcing `declared` bytes and only 4 KB of them, and never ends
 * the request: any status that comes back was decided without the body.
 */
function answerWhileSending(path: string, declared: number, authorization?: string): Promise<{ status: string; message: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      ...(authorization !== undefined && { authorization }),
    });
    const answer = (headers: http2.IncomingHttpHeaders) => {
      if (headers["grpc-status"] === undefined) return;
      resolve({ status: String(headers["grpc-status"]), message: decodeURIComponent(String(headers["grpc-message"] ?? "")) });
      stream.close(http2.constants.NGHTTP2_CANCEL);
    };
    stream.on("response", answer);
    stream.on("trailers", answer);
    stream.on("data", () => {});
    stream.on("error", () => {});
    stream.on("close", () => reject(new Error("the call closed without a status")));
    stream.write(envelope(Buffer.alloc(4096), { declaredLength: declared }));
  });
}

describe("refused calls on the gRPC listener", () => {
  it("refuses a call without a credential from its headers, without reading the 200 MB it announces", async () => {
    const answer = await answerWhileSending("/palyra.gateway.v1.GatewayService/Embed", 200_000_000);
    expect(answer).toMatchObject({ status: "16" });
    expect(answer.message).toMatch(/^Missing bearer token/);
  });

  it("refuses an authenticated message over its procedure's limit from its length prefix", async () => {
    // Prompts may be as large as the daemon's body limit (20 MB by default); AbortRun names a run, and takes 1 MB.
    const prompt = await answerWhileSending("/palyra.gateway.v1.GatewayService/RunStream", 21 * 1024 * 1024, `Bearer ${testToken}`);
    expect(prompt).toMatchObject({ status: "8" });
    expect(prompt.message).toContain("20971520");
    const abort = await answerWhileSending("/palyra.gateway.v1.GatewayService/AbortRun", 2 * 1024 * 1024, `Bearer ${testToken}`);
    expect(abort).toMatchObject({ status: "8" });
    expect(abort.message).toContain("1048576");
  });

  it("answers a message that does not decode as the caller's mistake, over Connect as over gRPC", async () => {
    // A Connect unary call (application/proto) carries its message bare, and fails in an HTTP status and a JSON body.
    const answer = await new Promise<{ status: number; body: string }>((resolve) => {
      const stream = session.request({
        ":method": "POST",
        ":path": "/palyra.gateway.v1.ModelsService/ListModels",
        "content-type": "application/proto",
        authorization: `Bearer ${testToken}`,
      });
      let status = 0;
      const chunks: Buffer[] = [];
      stream.on("response", (headers) => {
        status = Number(headers[":status"]);
      });
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", () => {});
      stream.on("close", () => resolve({ status, body: Buffer.concat(chunks).toString("utf8") }));
      // Field 1 with wire type 7, which does not exist.
      stream.end(Buffer.from([0x0f, 0x01]));
    });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ code: "invalid_argument", message: expect.stringMatching(/^the request could not be read: parse binary/) });
  });

  it("answers an undecodable message over gRPC-web with INVALID_ARGUMENT in its trailer frame", async () => {
    const body = await new Promise<Buffer>((resolve) => {
      const stream = session.request({
        ":method": "POST",
        ":path": "/palyra.gateway.v1.ModelsService/ListModels",
        "content-type": "application/grpc-web+proto",
        authorization: `Bearer ${testToken}`,
      });
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", () => {});
      stream.on("close", () => resolve(Buffer.concat(chunks)));
      stream.end(envelope(Buffer.from([0x0f, 0x01])));
    });
    // One frame: the trailer flag (0x80), a length, then "grpc-status: …" lines.
    expect(body[0]).toBe(0x80);
    const trailer = body.subarray(5).toString("utf8");
    expect(trailer).toMatch(/grpc-status: ?3\r\n/);
    expect(decodeURIComponent(trailer)).toContain("the request could not be read: parse binary");
  });
});
