import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Role as ConnectRole, ErrorDetailSchema, ErrorKind } from "../../gen/es/palyra/gateway/v1/common_pb.js";
import { GatewayService as ConnectGatewayService } from "../../gen/es/palyra/gateway/v1/gateway_pb.js";
import { Role } from "../../gen/grpc-js/palyra/gateway/v1/common.js";
import { DiagnosticsServiceClient } from "../../gen/grpc-js/palyra/gateway/v1/diagnostics.js";
import { GatewayServiceClient, type RunStreamRequest, type RunStreamResponse, TranscriptionFormat } from "../../gen/grpc-js/palyra/gateway/v1/gateway.js";
import { ModelRole, ModelsServiceClient } from "../../gen/grpc-js/palyra/gateway/v1/models.js";
import { startOf } from "../helpers/grpc-js-requests.js";
import { slowModelConfig, startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";

let gateway: TestGateway;
let gatewayClient: GatewayServiceClient;
let modelsClient: ModelsServiceClient;
let diagnosticsClient: DiagnosticsServiceClient;

const auth = (token = testToken) => {
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  return metadata;
};

/** Runs one RunStream call to its end; resolves with every event, rejects with the call's error. */
function runStream(
  request: RunStreamRequest | RunStreamRequest[],
  metadata = auth(),
  onEvent?: (event: RunStreamResponse, call: ReturnType<GatewayServiceClient["runStream"]>) => void,
) {
  return new Promise<RunStreamResponse[]>((resolve, reject) => {
    const call = gatewayClient.runStream(metadata);
    const events: RunStreamResponse[] = [];
    call.on("data", (event: RunStreamResponse) => {
      events.push(event);
      onEvent?.(event, call);
    });
    call.on("error", reject);
    call.on("end", () => resolve(events));
    for (const each of Array.isArray(request) ? request : [request]) call.write(each);
  });
}

const kindOf = (event: RunStreamResponse) =>
  (["accepted", "routing", "delta", "usage", "completed", "failed", "cancelled"] as const).find((kind) => event[kind] !== undefined);

function unary<Res>(invoke: (callback: (error: ServiceError | null, response: Res) => void) => unknown): Promise<Res> {
  return new Promise((resolve, reject) => invoke((error, response) => (error ? reject(error) : resolve(response))));
}

beforeAll(async () => {
  gateway = await startTestGateway({ configToml: slowModelConfig });
  gatewayClient = new GatewayServiceClient(gateway.grpcAddress, credentials.createInsecure());
  modelsClient = new ModelsServiceClient(gateway.grpcAddress, credentials.createInsecure());
  diagnosticsClient = new DiagnosticsServiceClient(gateway.grpcAddress, credentials.createInsecure());
});

afterAll(async () => {
  gatewayClient?.close();
  modelsClient?.close();
  diagnosticsClient?.close();
  await gateway?.stop();
});

describe("RunStream over gRPC (generated grpc-js client)", () => {
  it("streams accepted, routing, deltas, usage and completed, in order and numbered", async () => {
    const events = await runStream(startOf("the quick brown fox jumps over the lazy dog"));
    const kinds = events.map(kindOf);
    expect(kinds.slice(0, 2)).toEqual(["accepted", "routing"]);
    expect(kinds.slice(-2)).toEqual(["usage", "completed"]);
    expect(kinds.filter((kind) => kind === "delta").length).toBeGreaterThan(1);
    expect(events.map((event) => event.sequence)).toEqual(events.map((_, index) => index + 1));
    const runId = events[0]?.runId;
    expect(events.every((event) => event.runId === runId)).toBe(true);

    const text = events.map((event) => event.delta?.text ?? "").join("");
    const completed = events.at(-1)?.completed;
    expect(text).toBe("the quick brown fox jumps over the lazy dog");
    expect(completed?.text).toBe(text);
    expect(completed?.modelId).toBe("palyra-echo");
    expect(completed?.usage?.outputTokens).toBeGreaterThan(0);
    expect(events[1]?.routing).toMatchObject({ requestedModel: "palyra-echo", selectedModel: "palyra-echo", providerId: "local" });

    const db = new Database(gateway.databaseFile, { readonly: true });
    const row = db.prepare("select status, output_tokens, first_output_ms from runs where run_id = ?").get(runId) as Record<string, unknown>;
    db.close();
    expect(row).toMatchObject({ status: "succeeded", output_tokens: completed?.usage?.outputTokens });
    expect(row.first_output_ms).not.toBeNull();
  });

  it("cancels a run when the client sends cancel, and records it", async () => {
    let cancelSent = false;
    const events = await runStream(startOf("slow words arrive one chunk at a time", { model: "slow-echo" }), auth(), (event, call) => {
      if (event.delta && !cancelSent) {
        cancelSent = true;
        call.write({ cancel: { reason: "user pressed stop" } });
      }
    });
    expect(events.at(-1)?.cancelled?.reason).toBe("user pressed stop");
    const status = await unary<{ aborted: boolean; status: number }>((cb) => gatewayClient.abortRun({ runId: events[0]?.runId ?? "", reason: "" }, auth(), cb));
    expect(status).toMatchObject({ aborted: false, status: 4 /* RUN_STATUS_CANCELLED */ });
  });

  it("aborts a run from another call with AbortRun", async () => {
    const aborted = new Promise<{ aborted: boolean; status: number }>((resolve, reject) => {
      void runStream(startOf("a slow answer to abort from elsewhere", { model: "slow-echo" }), auth(), (event) => {
        if (event.accepted) {
          void unary<{ aborted: boolean; status: number }>((cb) => gatewayClient.abortRun({ runId: event.runId, reason: "operator abort" }, auth(), cb)).then(
            resolve,
            reject,
          );
        }
      }).then((events) => expect(events.at(-1)?.cancelled?.reason).toBe("operator abort"));
    });
    expect(await aborted).toEqual({ aborted: true, status: 4 });
  });

  it("ends the call with INVALID_ARGUMENT when a second start or an unasked tool approval follows, and records the run as cancelled", async () => {
    for (const [followUp, param] of [
      [startOf("again"), "start"],
      [{ toolApproval: { approvalId: "a1", approved: true, reason: "" } }, "tool_approval"],
    ] as const) {
      // Sent right behind the start, so the daemon reads it while the slow run is still in flight.
      const refused = await runStream([startOf("slow words that will not all arrive", { model: "slow-echo" }), followUp]).catch((error: ServiceError) => error);
      expect(refused).toMatchObject({ code: status.INVALID_ARGUMENT });
      // Connect percent-encodes more of the message than grpc-js decodes (":" among them).
      expect(decodeURIComponent((refused as ServiceError).details)).toMatch(new RegExp(`^${param}: `));
      const db = new Database(gateway.databaseFile, { readonly: true });
      const recorded = db.prepare("select status from runs where error_message like ? order by created_at desc").all(`${param}: %`);
      db.close();
      expect(recorded).toEqual([{ status: "cancelled" }]);
    }
  });

  it("refuses calls without a valid token, but answers GetHealth", async () => {
    await expect(runStream(startOf("hi"), new Metadata())).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    await expect(runStream(startOf("hi"), auth("wrong"))).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    await expect(unary((cb) => modelsClient.listModels({ role: 0, includeDisabled: false }, cb))).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    const health = await unary<{ status: string; version: string }>((cb) => gatewayClient.getHealth({}, cb));
    expect(health.status).toBe("ok");
    expect(health.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("answers bad input with INVALID_ARGUMENT and unknown models with NOT_FOUND, naming them", async () => {
    const notFound = await runStream(startOf("hi", { model: "missing-model" })).catch((error) => error);
    expect(notFound.code).toBe(status.NOT_FOUND);
    expect(notFound.details).toContain("missing-model");

    const empty = await runStream({ start: { ...startOf("x").start!, messages: [] } }).catch((error) => error);
    expect(empty.code).toBe(status.INVALID_ARGUMENT);
    expect(empty.details).toContain("messages");

    const noRole = await runStream({
      start: { ...startOf("x").start!, messages: [{ role: Role.ROLE_UNSPECIFIED, parts: [{ text: "x" }], name: "", toolCalls: [], toolCallId: "" }] },
    }).catch((e) => e);
    expect(noRole.code).toBe(status.INVALID_ARGUMENT);
    expect(noRole.details).toContain("messages[0].role");

    const cancelFirst = await runStream({ cancel: { reason: "x" } }).catch((error) => error);
    expect(cancelFirst.code).toBe(status.INVALID_ARGUMENT);

    const abortUnknown: any = await unary((cb) => gatewayClient.abortRun({ runId: "no-such-run", reason: "" }, auth(), cb)).catch((e) => e);
    expect(abortUnknown.code).toBe(status.NOT_FOUND);
  });
});

describe("Embed and Transcribe over gRPC (generated grpc-js client)", () => {
  it("embeds a batch and transcribes audio, each as a recorded run", async () => {
    const embedded = await unary<{ runId: string; modelId: string; embeddings: { values: number[] }[]; usage?: { inputTokens: number } }>((cb) =>
      gatewayClient.embed(
        { model: "echo-embed", inputs: ["one", "two"], dimensions: 5, agentId: "", sessionId: "", userId: "", clientRequestId: "" },
        auth(),
        cb,
      ),
    );
    expect(embedded.modelId).toBe("echo-embed");
    expect(embedded.embeddings.map((e) => e.values.length)).toEqual([5, 5]);
    expect(embedded.usage?.inputTokens).toBeGreaterThan(0);

    const transcribed = await unary<{ runId: string; text: string; body: string }>((cb) =>
      gatewayClient.transcribe(
        {
          model: "echo-transcribe",
          audio: Buffer.alloc(10, 1),
          fileName: "a.wav",
          mimeType: "audio/wav",
          language: "",
          prompt: "",
          responseFormat: TranscriptionFormat.TRANSCRIPTION_FORMAT_SRT,
          agentId: "",
          sessionId: "",
          userId: "",
          clientRequestId: "",
        },
        auth(),
        cb,
      ),
    );
    expect(transcribed.text).toBe("transcript of a.wav (10 bytes)");
    expect(transcribed.body).toMatch(/^1\n00:00:00,000 --> /);

    const db = new Database(gateway.databaseFile, { readonly: true });
    const kinds = db.prepare("select run_kind, status from runs where run_id in (?, ?)").all(embedded.runId, transcribed.runId);
    db.close();
    expect(kinds).toEqual(
      expect.arrayContaining([
        { run_kind: "embeddings", status: "succeeded" },
        { run_kind: "audio_transcription", status: "succeeded" },
      ]),
    );
  });

  it("names bad unary input", async () => {
    const empty: any = await unary((cb) =>
      gatewayClient.embed({ model: "echo-embed", inputs: [], agentId: "", sessionId: "", userId: "", clientRequestId: "" }, auth(), cb),
    ).catch((e) => e);
    expect(empty.code).toBe(status.INVALID_ARGUMENT);
    expect(empty.details).toContain("input");
    const noAudio: any = await unary((cb) =>
      gatewayClient.transcribe(
        {
          model: "echo-transcribe",
          audio: Buffer.alloc(0),
          fileName: "",
          mimeType: "",
          language: "",
          prompt: "",
          responseFormat: 0,
          agentId: "",
          sessionId: "",
          userId: "",
          clientRequestId: "",
        },
        auth(),
        cb,
      ),
    ).catch((e) => e);
    expect(noAudio.code).toBe(status.INVALID_ARGUMENT);
    expect(noAudio.details).toContain("file");
  });
});

describe("ModelsService and DiagnosticsService (generated grpc-js clients)", () => {
  it("lists models, filtered by role", async () => {
    const all = await unary<{ models: { modelId: string; role: number }[] }>((cb) => modelsClient.listModels({ role: 0, includeDisabled: false }, auth(), cb));
    expect(all.models.map((model) => model.modelId)).toEqual(["palyra-echo", "slow-echo", "text-only", "echo-embed", "echo-transcribe", "tiny-context"]);
    const embeddings = await unary<{ models: { modelId: string }[] }>((cb) =>
      modelsClient.listModels({ role: ModelRole.MODEL_ROLE_EMBEDDINGS, includeDisabled: false }, auth(), cb),
    );
    expect(embeddings.models.map((model) => model.modelId)).toEqual(["echo-embed"]);
  });

  it("reports providers and defaults", async () => {
    const statusResponse = await unary<{ providers: { providerId: string; kind: string; modelCount: number }[]; defaults?: { chatModelId: string } }>((cb) =>
      modelsClient.getModelsStatus({}, auth(), cb),
    );
    expect(statusResponse.providers.map((p) => [p.providerId, p.kind, p.modelCount])).toEqual([
      ["local", "deterministic", 5],
      ["slow", "deterministic", 1],
    ]);
    expect(statusResponse.defaults?.chatModelId).toBe("palyra-echo");
  });

  it("gives a diagnostics snapshot without secrets", async () => {
    const snapshot = await unary<Record<string, any>>((cb) => diagnosticsClient.getDiagnostics({}, auth(), cb));
    expect(snapshot.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(snapshot.store).toMatchObject({ dialect: "sqlite", location: gateway.databaseFile });
    expect(snapshot.store.schemaVersion).toBeGreaterThanOrEqual(3);
    expect(snapshot.store.runCount).toBeGreaterThan(0);
    expect(snapshot.providers).toHaveLength(2);
    expect(JSON.stringify(snapshot)).not.toContain(testToken);
  });
});

describe("the same API over Connect, gRPC-Web and gRPC (Connect client)", () => {
  const transports = {
    connect: () => createConnectTransport({ baseUrl: gateway.grpcBase, httpVersion: "2" }),
    "grpc-web": () => createGrpcWebTransport({ baseUrl: gateway.grpcBase, httpVersion: "2" }),
    grpc: () => createGrpcTransport({ baseUrl: gateway.grpcBase }),
  };

  for (const [name, makeTransport] of Object.entries(transports)) {
    it(`runs a prompt over ${name}`, async () => {
      const client = createClient(ConnectGatewayService, makeTransport());
      async function* requests() {
        yield {
          action: {
            case: "start" as const,
            value: { model: "palyra-echo", messages: [{ role: ConnectRole.USER, parts: [{ part: { case: "text" as const, value: `hello over ${name}` } }] }] },
          },
        };
      }
      const cases: string[] = [];
      let text = "";
      for await (const response of client.runStream(requests(), { headers: { authorization: `Bearer ${testToken}` } })) {
        cases.push(response.event.case ?? "");
        if (response.event.case === "delta") text += response.event.value.text;
      }
      expect(cases[0]).toBe("accepted");
      expect(cases.at(-1)).toBe("completed");
      expect(text).toBe(`hello over ${name}`);
    });
  }

  it("carries a typed ErrorDetail on errors", async () => {
    const client = createClient(ConnectGatewayService, transports.grpc());
    async function* requests() {
      yield {
        action: {
          case: "start" as const,
          value: { model: "nope", messages: [{ role: ConnectRole.USER, parts: [{ part: { case: "text" as const, value: "x" } }] }] },
        },
      };
    }
    const error = await (async () => {
      for await (const _ of client.runStream(requests(), { headers: { authorization: `Bearer ${testToken}` } })) {
        // drain
      }
    })().catch((e) => ConnectError.from(e));
    expect(error?.code).toBe(Code.NotFound);
    expect(error?.findDetails(ErrorDetailSchema)[0]).toMatchObject({ kind: ErrorKind.NOT_FOUND, param: "model", code: "model_not_found" });
  });
});
