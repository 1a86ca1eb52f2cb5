import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ErrorKindSchema, ErrorKind as ProtoErrorKind } from "../../gen/es/palyra/gateway/v1/common_pb.js";
import { GatewayService } from "../../gen/es/palyra/gateway/v1/gateway_pb.js";
import { fromErrorDetail, OpenAIRequestError, toOpenAIError } from "../../src/http/openai/openai-error.js";
import { kindOfConnectError } from "../../src/rpc/error-mapping.js";
import { kindFromCode, kindFromProto, presentationOf, toProtoErrorKind } from "../../src/rpc/error-table.js";
import { errorMappingInterceptor } from "../../src/rpc/interceptors.js";
import { errorKinds, GatewayError } from "../../src/shared/errors.js";

// The proto enum as generated (gen/es), by its wire names: ERROR_KIND_BUDGET_EXCEEDED = 7, …
const protoValues = ErrorKindSchema.values.filter((value) => value.number !== ProtoErrorKind.UNSPECIFIED);
const wireName = (kind: string) => `ERROR_KIND_${kind.toUpperCase()}`;

describe("core error kinds and the proto ErrorKind enum", () => {
  it("name the same kinds, in both directions", () => {
    const protoNames = protoValues.map((value) => value.name);
    const coreNames = errorKinds.map(wireName);
    // Both lists in one assertion, so a failure shows the drift in each direction at once.
    expect({
      "core kinds missing from ErrorKind in common.proto (add them there, then npm run generate)": coreNames.filter((name) => !protoNames.includes(name)),
      "ErrorKind values missing from errorKinds in src/errors.ts (add them there, then to rpc/error-table.ts)": protoNames.filter(
        (name) => !coreNames.includes(name),
      ),
    }).toEqual({
      "core kinds missing from ErrorKind in common.proto (add them there, then npm run generate)": [],
      "ErrorKind values missing from errorKinds in src/errors.ts (add them there, then to rpc/error-table.ts)": [],
    });
    expect(new Set(errorKinds).size).toBe(errorKinds.length);
  });

  it("convert one to one: each kind to the enum value of its name and back", () => {
    for (const kind of errorKinds) {
      const proto = toProtoErrorKind(kind);
      expect(ErrorKindSchema.value[proto]?.name, kind).toBe(wireName(kind));
      expect(kindFromProto(proto)).toBe(kind);
    }
    for (const value of protoValues) expect(toProtoErrorKind(kindFromProto(value.number)), value.name).toBe(value.number);
  });

  it("reads an unset or unknown wire kind (a newer peer's) as internal", () => {
    expect(kindFromProto(ProtoErrorKind.UNSPECIFIED)).toBe("internal");
    expect(kindFromProto(999 as ProtoErrorKind)).toBe("internal");
  });
});

describe("the error table through the real error path", () => {
  // A Connect service whose handler throws the kind asked for, behind the daemon's error interceptor,
  // called through a Connect client: the error crosses the Connect protocol as it does between servers.
  let thrown = new GatewayError("internal", "unset");
  const transport = createRouterTransport(
    (router) =>
      router.service(GatewayService, {
        embed() {
          throw thrown;
        },
      }),
    { router: { interceptors: [errorMappingInterceptor] } },
  );
  const gateway = createClient(GatewayService, transport);

  // Kinds that share a gRPC code but not an HTTP status or type (quota and rate_limit, permanent and
  // approval_required, malformed_response and internal) fail here if /v1 re-derives them from the code.
  it.each(errorKinds)("presents %s with the table's gRPC code, HTTP status and OpenAI type", async (kind) => {
    const row = presentationOf(kind);
    thrown = new GatewayError(kind, `a ${kind} error`, { param: "model", retryAfterMs: 1200 });
    const error = await gateway.embed({}).then(
      () => undefined,
      (reason: unknown) => ConnectError.from(reason),
    );
    expect(error?.code).toBe(row.grpcCode);
    expect(kindOfConnectError(error as ConnectError)).toBe(kind);
    const answer = toOpenAIError(error);
    expect([answer.status, answer.body.error.type]).toEqual([row.httpStatus, row.openaiType]);
    expect(answer.body.error).toMatchObject({ message: `a ${kind} error`, param: "model", code: kind });
    expect(answer.retryAfterSeconds).toBe(2);
    // A run that fails after it started (RunFailed on the stream) answers the same.
    expect(fromErrorDetail("later", { kind: row.proto }).status).toBe(row.httpStatus);
    // A GatewayError the HTTP layer meets itself (the credential check) answers the same.
    expect(toOpenAIError(thrown).status).toBe(row.httpStatus);
  });

  it("presents Connect's own errors (no detail) by their code's kind", () => {
    for (const code of Object.values(Code).filter((value): value is Code => typeof value === "number")) {
      const answer = toOpenAIError(new ConnectError("raw", code));
      expect(answer.status, Code[code]).toBe(presentationOf(kindFromCode(code)).httpStatus);
    }
    expect(toOpenAIError(new ConnectError("raw", Code.DeadlineExceeded)).status).toBe(504);
    expect(toOpenAIError(new ConnectError("raw", Code.Canceled)).status).toBe(499);
  });

  it("gives the adapter's own refusals their kind's type, and HTTP's own statuses only where asked", () => {
    const missing = toOpenAIError(new OpenAIRequestError("no such model", { kind: "not_found", code: "model_not_found" }));
    expect([missing.status, missing.body.error.type]).toEqual([404, "invalid_request_error"]);
    const tooLarge = toOpenAIError(new OpenAIRequestError("too big", { status: 413, code: "file_too_large" }));
    expect([tooLarge.status, tooLarge.body.error.type]).toEqual([413, presentationOf("invalid_request").openaiType]);
    expect(toOpenAIError(new TypeError("surprise"))).toMatchObject({ status: 500, body: { error: { type: "api_error", code: "internal_error" } } });
  });
});
