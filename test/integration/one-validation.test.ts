import { create } from "@bufbuild/protobuf";
import { ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorDetailSchema, Role } from "../../gen/es/palyra/gateway/v1/common_pb.js";
import { GatewayService, type StartRun, StartRunSchema } from "../../gen/es/palyra/gateway/v1/gateway_pb.js";
import { startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";

// A run's input is validated in one place (the run engine), so /v1 and gRPC callers get the same
// field and the same message for the same mistake.
let gateway: TestGateway;
let openai: OpenAI;
let grpc: ReturnType<typeof createClient<typeof GatewayService>>;

beforeAll(async () => {
  gateway = await startTestGateway();
  openai = new OpenAI({ apiKey: testToken, baseURL: `${gateway.httpBase}/v1`, maxRetries: 0 });
  grpc = createClient(GatewayService, createGrpcTransport({ baseUrl: gateway.grpcBase }));
});
afterAll(() => gateway.stop());

const userSays = (text: string) => ({ role: Role.USER, parts: [{ part: { case: "text" as const, value: text } }] });

// Each surface names the field as its callers do: OpenAI's `user` is the RPC's `user_id`.
const mistakes: { name: string; openai: Record<string, unknown>; grpc: Partial<StartRun> | Record<string, unknown>; param: string; openaiParam?: string }[] = [
  { name: "temperature out of range", openai: { temperature: 7 }, grpc: { temperature: 7 }, param: "temperature" },
  { name: "top_p out of range", openai: { top_p: 1.5 }, grpc: { topP: 1.5 }, param: "top_p" },
  { name: "too many stop sequences", openai: { stop: ["a", "b", "c", "d", "e"] }, grpc: { stop: ["a", "b", "c", "d", "e"] }, param: "stop" },
  {
    name: "a tool name that is not one",
    openai: { tools: [{ type: "function", function: { name: "bad name!" } }] },
    grpc: { tools: [{ name: "bad name!", description: "", parametersJson: "", strict: false }] },
    param: "tools[0].function.name",
  },
  { name: "an over-long user id", openai: { user: "u".repeat(300) }, grpc: { userId: "u".repeat(300) }, param: "user_id", openaiParam: "user" },
];

async function grpcFailure(start: Record<string, unknown>): Promise<{ param: string; message: string }> {
  async function* requests() {
    yield { action: { case: "start" as const, value: create(StartRunSchema, { model: "palyra-echo", messages: [userSays("hi")], ...start }) } };
  }
  try {
    for await (const _ of grpc.runStream(requests(), { headers: { authorization: `Bearer ${testToken}` } })) {
      // Drained: a refused start ends the call with an error.
    }
  } catch (error) {
    const connectError = ConnectError.from(error);
    const detail = connectError.findDetails(ErrorDetailSchema)[0];
    return { param: detail?.param ?? "", message: connectError.rawMessage };
  }
  throw new Error("the gRPC call was not refused");
}

describe("one validation for every surface", () => {
  for (const mistake of mistakes) {
    it(`names ${mistake.param} for ${mistake.name} alike on /v1 and gRPC`, async () => {
      const viaOpenAI = await openai.chat.completions
        .create({ model: "palyra-echo", messages: [{ role: "user", content: "hi" }], ...mistake.openai } as never)
        .catch((error: unknown) => error);
      expect(viaOpenAI).toBeInstanceOf(OpenAI.BadRequestError);
      const viaGrpc = await grpcFailure(mistake.grpc as Record<string, unknown>);
      expect((viaOpenAI as InstanceType<typeof OpenAI.BadRequestError>).param).toBe(mistake.openaiParam ?? mistake.param);
      expect(viaGrpc.param).toBe(mistake.param);
      expect((viaOpenAI as Error).message).toContain(viaGrpc.message);
    });
  }
});
