import { execFile } from "node:child_process";
import { once } from "node:events";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { connectNodeAdapter, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/es/grpc/health/v1/health_pb.js";
import { ServerReflection, type ServerReflectionRequest } from "../../gen/es/grpc/reflection/v1/reflection_pb.js";
import { file_palyra_gateway_v1_models, ModelsService } from "../../gen/es/palyra/gateway/v1/models_pb.js";
import { createHealthService, HealthStatusBoard } from "../../src/rpc/health-service.js";
import { registerReflection } from "../../src/rpc/reflection-service.js";

const run = promisify(execFile);
const buf = fileURLToPath(new URL("../../node_modules/.bin/buf", import.meta.url));
const MODELS = "palyra.gateway.v1.ModelsService";
const { SERVING, NOT_SERVING, SERVICE_UNKNOWN } = HealthCheckResponse_ServingStatus;

const board = new HealthStatusBoard([
  ["", "SERVING"],
  [MODELS, "SERVING"],
]);
/** Reflection calls seen by the server, by service, to prove which protocol version a client used. */
const reflectionCalls = new Map<string, number>();
const countReflection: Interceptor = (next) => async (req) => {
  const name = req.service.typeName;
  if (name.startsWith("grpc.reflection.")) reflectionCalls.set(name, (reflectionCalls.get(name) ?? 0) + 1);
  return next(req);
};

function routes(router: ConnectRouter): void {
  // Reflection first on purpose: it must still describe services registered after it.
  registerReflection(router, [file_palyra_gateway_v1_models]);
  router.service(Health, createHealthService(board));
  router.service(ModelsService, {
    // Echoes the requested role back, so a call through buf curl proves enums travel both ways.
    listModels: (request) => ({
      models: [{ modelId: "reflected-model", providerId: "fake", role: request.role, enabled: true }],
    }),
  });
}

let server: http2.Http2Server;
let baseUrl: string;
let transport: Transport;
const sessions = new Set<http2.ServerHttp2Session>();

beforeAll(async () => {
  server = http2.createServer(connectNodeAdapter({ routes, interceptors: [countReflection] }));
  server.on("session", (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  transport = createGrpcTransport({ baseUrl });
});

afterAll(async () => {
  // The Connect client keeps its HTTP/2 session open while idle, which would hold close() forever.
  const closed = once(server, "close");
  server.close();
  for (const session of sessions) session.close();
  await closed;
});

async function bufCurl(...args: string[]): Promise<string> {
  const { stdout } = await run(buf, ["curl", "--protocol", "grpc", "--http2-prior-knowledge", ...args], {
    timeout: 30_000,
  });
  return stdout;
}

const lines = (text: string): string[] => text.split("\n").filter((line) => line.length > 0);

describe("server reflection through buf curl (no proto files)", () => {
  it("lists exactly the served services", async () => {
    const services = lines(await bufCurl("--list-services", baseUrl));
    expect(services.sort()).toEqual(["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection", MODELS]);
  });

  it("lists the methods of every service, which needs each service's file", async () => {
    const methods = lines(await bufCurl("--list-methods", baseUrl));
    expect(methods).toEqual(
      expect.arrayContaining([
        `${MODELS}/ListModels`,
        `${MODELS}/GetModelsStatus`,
        "grpc.health.v1.Health/Check",
        "grpc.health.v1.Health/Watch",
        "grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
      ]),
    );
  });

  it("calls ListModels with a JSON request encoded from the reflected schema", async () => {
    const before = reflectionCalls.get("grpc.reflection.v1.ServerReflection") ?? 0;
    const out = await bufCurl("-d", '{"role":"MODEL_ROLE_EMBEDDINGS"}', `${baseUrl}/${MODELS}/ListModels`);
    expect(JSON.parse(out)).toEqual({
      models: [{ modelId: "reflected-model", providerId: "fake", role: "MODEL_ROLE_EMBEDDINGS", enabled: true }],
    });
    expect(reflectionCalls.get("grpc.reflection.v1.ServerReflection") ?? 0).toBeGreaterThan(before);
  });

  it("works over grpc.reflection.v1alpha too", async () => {
    const before = reflectionCalls.get("grpc.reflection.v1alpha.ServerReflection") ?? 0;
    const v1alpha = ["--reflect-protocol", "grpc-v1alpha"];
    expect(lines(await bufCurl(...v1alpha, "--list-services", baseUrl))).toContain(MODELS);
    const out = await bufCurl(...v1alpha, "-d", "{}", `${baseUrl}/${MODELS}/ListModels`);
    expect(JSON.parse(out)).toEqual({ models: [{ modelId: "reflected-model", providerId: "fake", enabled: true }] });
    expect(reflectionCalls.get("grpc.reflection.v1alpha.ServerReflection") ?? 0).toBeGreaterThan(before);
  });

  it("answers several requests on one stream, in order, echoing each", async () => {
    const client = createClient(ServerReflection, transport);
    const requests: ServerReflectionRequest["messageRequest"][] = [
      { case: "fileContainingSymbol", value: `${MODELS}.ListModels` },
      { case: "fileContainingSymbol", value: "palyra.gateway.v1.NoSuchThing" },
      { case: "fileByFilename", value: "grpc/health/v1/health.proto" },
    ];
    async function* send() {
      for (const messageRequest of requests) yield { host: "palyra.test", messageRequest };
    }
    const responses = [];
    for await (const response of client.serverReflectionInfo(send())) responses.push(response);

    expect(responses.map((r) => r.originalRequest?.messageRequest.value)).toEqual(requests.map((r) => r.value));
    expect(responses.every((r) => r.validHost === "palyra.test")).toBe(true);

    const [models, missing, health] = responses.map((r) => r.messageResponse);
    if (models?.case !== "fileDescriptorResponse") throw new Error(`expected files, got ${models?.case}`);
    const names = models.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b).name);
    expect(names).toEqual([
      "palyra/gateway/v1/models.proto",
      "palyra/gateway/v1/gateway.proto",
      "palyra/gateway/v1/common.proto",
      "google/protobuf/timestamp.proto",
    ]);

    expect(missing).toEqual(
      expect.objectContaining({
        case: "errorResponse",
        value: expect.objectContaining({
          errorCode: Code.NotFound,
          errorMessage: expect.stringContaining("palyra.gateway.v1.NoSuchThing"),
        }),
      }),
    );
    expect(health?.case).toBe("fileDescriptorResponse");
  });
});

describe("grpc.health.v1.Health through a Connect client", () => {
  const health = () => createClient(Health, transport);

  it("reports the whole server as SERVING", async () => {
    expect((await health().check({ service: "" })).status).toBe(SERVING);
  });

  it("fails Check for an unknown service with NOT_FOUND", async () => {
    const error = await health()
      .check({ service: "palyra.gateway.v1.NoSuchService" })
      .catch((e: unknown) => e);
    expect(ConnectError.from(error).code).toBe(Code.NotFound);
  });

  it("lists every known status", async () => {
    const { statuses } = await health().list({});
    expect(Object.fromEntries(Object.entries(statuses).map(([name, r]) => [name, r.status]))).toEqual({
      "": SERVING,
      [MODELS]: SERVING,
    });
  });

  it("streams the current status, then each change, on Watch", async () => {
    const abort = new AbortController();
    const stream = health().watch({ service: MODELS }, { signal: abort.signal })[Symbol.asyncIterator]();

    expect((await stream.next()).value?.status).toBe(SERVING);
    board.set(MODELS, "NOT_SERVING");
    expect((await stream.next()).value?.status).toBe(NOT_SERVING);
    board.set(MODELS, "SERVING");
    expect((await stream.next()).value?.status).toBe(SERVING);

    abort.abort();
    const ended = await stream.next().catch((e: unknown) => e);
    expect(ConnectError.from(ended).code).toBe(Code.Canceled);
  });

  it("watches an unknown service as SERVICE_UNKNOWN until it appears", async () => {
    const abort = new AbortController();
    const stream = health().watch({ service: "late.Service" }, { signal: abort.signal })[Symbol.asyncIterator]();
    expect((await stream.next()).value?.status).toBe(SERVICE_UNKNOWN);
    board.set("late.Service", "SERVING");
    expect((await stream.next()).value?.status).toBe(SERVING);
    abort.abort();
    await stream.next().catch(() => undefined);
  });

  it("goes NOT_SERVING everywhere on shutdown and stays there", async () => {
    const abort = new AbortController();
    const stream = health().watch({ service: "" }, { signal: abort.signal })[Symbol.asyncIterator]();
    expect((await stream.next()).value?.status).toBe(SERVING);

    board.shutdown();
    expect((await stream.next()).value?.status).toBe(NOT_SERVING);
    board.set("", "SERVING");
    expect((await health().check({ service: "" })).status).toBe(NOT_SERVING);
    expect((await health().check({ service: MODELS })).status).toBe(NOT_SERVING);
    abort.abort();
    await stream.next().catch(() => undefined);
  });
});

describe("HealthStatusBoard.watch", () => {
  it("ends quietly when its signal aborts, without a further change", async () => {
    const local = new HealthStatusBoard();
    const abort = new AbortController();
    const watch = local.watch("", abort.signal);
    expect((await watch.next()).value).toBe("SERVING");
    const pending = watch.next();
    abort.abort();
    expect(await pending).toEqual({ done: true, value: undefined });
  });
});
