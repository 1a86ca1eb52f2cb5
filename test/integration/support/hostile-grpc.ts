import http2 from "node:http2";
import { create, type DescMessage, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { Role } from "../../../gen/es/palyra/gateway/v1/common_pb.js";
import { AbortRunRequestSchema, EmbedRequestSchema, RunStreamRequestSchema, TranscribeRequestSchema } from "../../../gen/es/palyra/gateway/v1/gateway_pb.js";
import { ExplainRoutingRequestSchema } from "../../../gen/es/palyra/gateway/v1/models_pb.js";
import { PutSecretRequestSchema } from "../../../gen/es/palyra/gateway/v1/vault_pb.js";
import { deepObjectJson, longText, type SeededRandom } from "./seeded-random.js";

/** One malformed (or borderline) gRPC call, as the bytes a client would put on the wire. */
export interface GrpcCase {
  name: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** What came back: the gRPC status (from trailers, or headers for trailers-only answers) and the stream's fate. */
export interface GrpcAnswer {
  httpStatus: number | undefined;
  grpcStatus: string | undefined;
  grpcMessage: string;
  rstCode: number;
}

const procedures = [
  "/palyra.gateway.v1.GatewayService/RunStream",
  "/palyra.gateway.v1.GatewayService/Embed",
  "/palyra.gateway.v1.GatewayService/Transcribe",
  "/palyra.gateway.v1.GatewayService/AbortRun",
  "/palyra.gateway.v1.ModelsService/ListModels",
  "/palyra.gateway.v1.ModelsService/ExplainRouting",
  "/palyra.gateway.v1.VaultService/PutSecret",
  "/palyra.gateway.v1.UsageService/SetBudgetPolicy",
  "/grpc.health.v1.Health/Check",
];

/** A length-prefixed gRPC message: flags, then a 4-byte big-endian length, then the bytes. */
export function envelope(payload: Uint8Array, options: { flags?: number; declaredLength?: number } = {}): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(options.flags ?? 0, 0);
  head.writeUInt32BE(options.declaredLength ?? payload.length, 1);
  return Buffer.concat([head, payload]);
}

function message<S extends DescMessage>(schema: S, init: MessageInitShape<S>): Buffer {
  return envelope(toBinary(schema, create(schema, init)));
}

const start = (_random: SeededRandom, extra: Record<string, unknown> = {}) =>
  message(RunStreamRequestSchema, {
    action: { case: "start", value: { model: "palyra-echo", messages: [{ role: Role.USER, parts: [{ part: { case: "text", value: "hello" } }] }], ...extra } },
  });

/** Generates a call from the families below, with the admin token most of the time. */
export function hostileGrpcCase(random: SeededRandom, token: string): GrpcCase {
  const authorization = random.int(5) === 0 ? random.pick([undefined, "Bearer wrong", "Basic x"]) : `Bearer ${token}`;
  const headers: Record<string, string> = { "content-type": "application/grpc", te: "trailers", ...(authorization !== undefined && { authorization }) };
  const [name, path, body] = random.pick([garbage, framing, typed, stream])(random);
  if (name.includes("compressed")) headers["grpc-encoding"] = random.pick(["gzip", "snappy"]);
  return { name: `${name} (${authorization?.slice(0, 12) ?? "no auth"})`, path, headers, body };
}

type Made = [name: string, path: string, body: Buffer];

function garbage(random: SeededRandom): Made {
  const path = random.pick(procedures);
  return [`garbage to ${path}`, path, envelope(random.bytes(1 + random.int(200)))];
}

function framing(random: SeededRandom): Made {
  const path = random.pick(procedures);
  const [what, body] = random.pick<[string, Buffer]>([
    ["a declared length past every limit", envelope(random.bytes(16), { declaredLength: 200_000_000 })],
    ["a truncated header", Buffer.from([0, 0, 0])],
    ["a message cut short", envelope(random.bytes(10), { declaredLength: 100 }).subarray(0, 12)],
    ["no message", Buffer.alloc(0)],
    ["two messages to a unary call", Buffer.concat([envelope(Buffer.alloc(0)), envelope(Buffer.alloc(0))])],
    ["a compressed flag on junk", envelope(random.bytes(30), { flags: 1 })],
    ["unknown flags", envelope(Buffer.alloc(0), { flags: 0x7e })],
  ]);
  return [`${what} to ${path}`, path, body];
}

/** Well-formed messages whose values are hostile. */
function typed(random: SeededRandom): Made {
  const huge = "m".repeat(70_000);
  return random.pick<() => Made>([
    () => ["a 70 KB model", procedures[0] as string, start(random, { model: huge })],
    () => ["a 5 MB client request id", procedures[0] as string, start(random, { clientRequestId: "r".repeat(5_000_000) })],
    () => [
      "a metadata flood",
      procedures[0] as string,
      start(random, { metadata: Object.fromEntries(Array.from({ length: 500 }, (_, index) => [`k${index}`, "v"])) }),
    ],
    () => ["deep tool parameters", procedures[0] as string, start(random, { tools: [{ name: "f", parametersJson: deepObjectJson(5000) }] })],
    () => [
      "long unbroken text",
      procedures[0] as string,
      start(random, { messages: [{ role: Role.USER, parts: [{ part: { case: "text", value: longText(random, 100_000) } }] }] }),
    ],
    () => ["max_tokens 0", procedures[0] as string, start(random, { maxTokens: 0 })],
    () => ["no messages", procedures[0] as string, start(random, { messages: [] })],
    () => ["a huge embedding", procedures[1] as string, message(EmbedRequestSchema, { model: "palyra-embed", inputs: ["x"], dimensions: 1_000_000_000 })],
    () => ["too many embeddings", procedures[1] as string, message(EmbedRequestSchema, { inputs: Array.from({ length: 3000 }, () => "x"), dimensions: 4096 })],
    () => ["empty audio", procedures[2] as string, message(TranscribeRequestSchema, { model: "palyra-transcribe" })],
    () => ["abort of an unknown run", procedures[3] as string, message(AbortRunRequestSchema, { runId: huge, reason: huge })],
    () => ["an explanation without a run", procedures[5] as string, message(ExplainRoutingRequestSchema, {})],
    () => ["a secret named badly", procedures[6] as string, message(PutSecretRequestSchema, { name: huge, value: "v" })],
  ])();
}

/** RunStream conversations that break the protocol after a good start. */
function stream(random: SeededRandom): Made {
  const path = procedures[0] as string;
  const [what, follow] = random.pick<[string, Buffer]>([
    ["a second start", start(random)],
    ["a tool approval nobody asked for", message(RunStreamRequestSchema, { action: { case: "toolApproval", value: { approvalId: "a", approved: true } } })],
    ["an empty action", message(RunStreamRequestSchema, {})],
    ["a cancel", message(RunStreamRequestSchema, { action: { case: "cancel", value: { reason: "r".repeat(100_000) } } })],
    ["garbage", envelope(random.bytes(40))],
  ]);
  const first = random.int(4) === 0 ? message(RunStreamRequestSchema, { action: { case: "cancel", value: {} } }) : start(random);
  return [`RunStream: start, then ${what}`, path, Buffer.concat([first, follow])];
}

/** Sends one call on a shared HTTP/2 session and collects how it ended. */
export function sendGrpc(session: http2.ClientHttp2Session, call: GrpcCase, timeoutMs: number): Promise<GrpcAnswer> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":method": "POST", ":path": call.path, ...call.headers });
    const answer: GrpcAnswer = { httpStatus: undefined, grpcStatus: undefined, grpcMessage: "", rstCode: 0 };
    const note = (headers: http2.IncomingHttpHeaders) => {
      if (headers["grpc-status"] !== undefined) answer.grpcStatus = String(headers["grpc-status"]);
      if (headers["grpc-message"] !== undefined) answer.grpcMessage = decodeURIComponent(String(headers["grpc-message"]));
    };
    const timer = setTimeout(() => {
      stream.close(http2.constants.NGHTTP2_CANCEL);
      reject(new Error(`no answer to ${call.name} within ${timeoutMs} ms`));
    }, timeoutMs);
    stream.on("response", (headers) => {
      answer.httpStatus = Number(headers[":status"]);
      note(headers);
    });
    stream.on("trailers", note);
    stream.on("data", () => {});
    stream.on("error", () => {});
    stream.on("close", () => {
      clearTimeout(timer);
      answer.rstCode = stream.rstCode ?? 0;
      resolve(answer);
    });
    stream.end(call.body);
  });
}
