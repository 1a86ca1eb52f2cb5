import { ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorDetailSchema, Role } from "../../gen/es/palyra/gateway/v1/common_pb.js";
import { GatewayService } from "../../gen/es/palyra/gateway/v1/gateway_pb.js";
import { presentationOf } from "../../src/rpc/error-table.js";
import type { ErrorKind } from "../../src/shared/errors.js";
import { glacialBudgetConfig } from "../fixtures/glacial-config.js";
import { startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";

// The error table's rows as callers meet them on the real daemon: the same refusal asked for with the
// OpenAI SDK on /v1 and over gRPC answers with the table's HTTP status and OpenAI type on the one and
// its gRPC code (and the kind in the ErrorDetail) on the other. A one-token daily budget refuses every chat.

let gateway: TestGateway;

beforeAll(async () => {
  gateway = await startTestGateway({ configToml: glacialBudgetConfig({ hardLimitTokens: 1 }) });
});

afterAll(async () => {
  await gateway?.stop();
});

const cases: { kind: ErrorKind; model: string; token: string }[] = [
  { kind: "budget_exceeded", model: "palyra-echo", token: testToken },
  { kind: "not_found", model: "no-such-model", token: testToken },
  { kind: "auth", model: "palyra-echo", token: "not-a-key" },
];

describe.each(cases)("a $kind refusal", ({ kind, model, token }) => {
  const row = presentationOf(kind);

  it(`answers /v1 with HTTP ${row.httpStatus} and type ${row.openaiType}`, async () => {
    const openai = new OpenAI({ apiKey: token, baseURL: `${gateway.httpBase}/v1`, maxRetries: 0 });
    const error = await openai.chat.completions.create({ model, messages: [{ role: "user", content: "hello there" }] }).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    const apiError = error as InstanceType<typeof OpenAI.APIError>;
    expect([apiError.status, apiError.type]).toEqual([row.httpStatus, row.openaiType]);
  });

  it("answers gRPC with the table's code and the kind in its ErrorDetail", async () => {
    const rpc = createClient(GatewayService, createGrpcTransport({ baseUrl: gateway.grpcBase }));
    async function* requests() {
      yield {
        action: {
          case: "start" as const,
          value: { model, messages: [{ role: Role.USER, parts: [{ part: { case: "text" as const, value: "hello there" } }] }] },
        },
      };
    }
    const error = await (async () => {
      for await (const event of rpc.runStream(requests(), { headers: { authorization: `Bearer ${token}` } })) void event;
    })().then(
      () => undefined,
      (reason: unknown) => ConnectError.from(reason),
    );
    expect(error?.code).toBe(row.grpcCode);
    expect(error?.findDetails(ErrorDetailSchema)[0]?.kind).toBe(row.proto);
  });
});
