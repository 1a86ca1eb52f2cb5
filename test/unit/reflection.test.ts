import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { file_palyra_gateway_v1_diagnostics } from "../../gen/es/palyra/gateway/v1/diagnostics_pb.js";
import { file_palyra_gateway_v1_gateway } from "../../gen/es/palyra/gateway/v1/gateway_pb.js";
import { file_palyra_gateway_v1_models } from "../../gen/es/palyra/gateway/v1/models_pb.js";
import { answerReflection, createReflectionIndex, type ReflectionAnswer, type ReflectionRequest } from "../../src/rpc/reflection-service.js";

// diagnostics.proto imports models.proto, which imports google/protobuf/timestamp.proto.
const index = createReflectionIndex([file_palyra_gateway_v1_diagnostics]);
const ask = (request: ReflectionRequest["messageRequest"]): ReflectionAnswer => answerReflection(index, request);

function fileNames(answer: ReflectionAnswer): (string | undefined)[] {
  if (answer.case !== "fileDescriptorResponse") throw new Error(`expected files, got ${answer.case}`);
  return answer.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name);
}

function expectError(answer: ReflectionAnswer, code: Code, mentioning: string): void {
  expect(answer.case).toBe("errorResponse");
  if (answer.case !== "errorResponse") return;
  expect(answer.value.errorCode).toBe(code);
  expect(answer.value.errorMessage).toContain(mentioning);
}

describe("reflection index", () => {
  it("lists the services of the given files, not of their imports", () => {
    expect(ask({ case: "listServices", value: "" })).toEqual({
      case: "listServicesResponse",
      value: { service: [{ name: "palyra.gateway.v1.DiagnosticsService" }] },
    });
  });

  it("serves a file by name with every transitive import once, the requested file first", () => {
    expect(fileNames(ask({ case: "fileByFilename", value: "palyra/gateway/v1/diagnostics.proto" }))).toEqual([
      "palyra/gateway/v1/diagnostics.proto",
      "palyra/gateway/v1/usage.proto",
      "palyra/gateway/v1/models.proto",
      "palyra/gateway/v1/gateway.proto",
      "palyra/gateway/v1/common.proto",
      "palyra/gateway/v1/memory.proto",
      "palyra/gateway/v1/auth.proto",
      "google/protobuf/timestamp.proto",
    ]);
  });

  it("serves the descriptor bytes that round-trip to the generated file", () => {
    const answer = ask({ case: "fileByFilename", value: "palyra/gateway/v1/models.proto" });
    if (answer.case !== "fileDescriptorResponse") throw new Error(answer.case);
    const decoded = fromBinary(FileDescriptorProtoSchema, answer.value.fileDescriptorProto[0] ?? new Uint8Array());
    expect(decoded.service.map((s) => s.name)).toEqual(["ModelsService"]);
    expect(decoded.messageType.map((m) => m.name)).toContain("ListModelsRequest");
  });

  it.each([
    ["a service", "palyra.gateway.v1.DiagnosticsService", "palyra/gateway/v1/diagnostics.proto"],
    ["a method", "palyra.gateway.v1.ModelsService.ListModels", "palyra/gateway/v1/models.proto"],
    ["a message", "palyra.gateway.v1.Model", "palyra/gateway/v1/models.proto"],
    ["a field", "palyra.gateway.v1.Model.model_id", "palyra/gateway/v1/models.proto"],
    ["an enum", "palyra.gateway.v1.ModelRole", "palyra/gateway/v1/models.proto"],
    ["an imported well-known type", "google.protobuf.Timestamp", "google/protobuf/timestamp.proto"],
  ])("finds the file containing %s", (_kind, symbol, file) => {
    expect(fileNames(ask({ case: "fileContainingSymbol", value: symbol }))[0]).toBe(file);
  });

  it.each([
    ["an unknown type", "palyra.gateway.v1.Nope"],
    ["an unknown method of a known service", "palyra.gateway.v1.ModelsService.Nope"],
    ["an unknown field of a known message", "palyra.gateway.v1.Model.nope"],
    ["a bare package", "palyra.gateway.v1"],
    ["an empty name", ""],
  ])("answers NOT_FOUND naming %s", (_kind, symbol) => {
    expectError(ask({ case: "fileContainingSymbol", value: symbol }), Code.NotFound, `"${symbol}"`);
  });

  it("answers NOT_FOUND for an unknown file name", () => {
    expectError(ask({ case: "fileByFilename", value: "nope.proto" }), Code.NotFound, "nope.proto");
  });

  it("does not serve files the given files do not reach", () => {
    expectError(ask({ case: "fileByFilename", value: "grpc/health/v1/health.proto" }), Code.NotFound, "health.proto");
  });

  it("reports no extensions for a message nobody extends", () => {
    expect(ask({ case: "allExtensionNumbersOfType", value: "palyra.gateway.v1.Model" })).toEqual({
      case: "allExtensionNumbersResponse",
      value: { baseTypeName: "palyra.gateway.v1.Model", extensionNumber: [] },
    });
  });

  it("answers NOT_FOUND for extensions of an unknown type or an unknown extension", () => {
    expectError(ask({ case: "allExtensionNumbersOfType", value: "x.Nope" }), Code.NotFound, "x.Nope");
    expectError(
      ask({
        case: "fileContainingExtension",
        value: { containingType: "palyra.gateway.v1.Model", extensionNumber: 1000 },
      }),
      Code.NotFound,
      "palyra.gateway.v1.Model",
    );
  });

  it("rejects a request without a message_request", () => {
    expectError(ask({ case: undefined }), Code.InvalidArgument, "message_request");
  });

  it("dedupes files given more than once or reachable twice", () => {
    const wide = createReflectionIndex([
      file_palyra_gateway_v1_gateway,
      file_palyra_gateway_v1_models,
      file_palyra_gateway_v1_diagnostics,
      file_palyra_gateway_v1_gateway,
    ]);
    const names = [...wide.registry.files].map((file) => file.proto.name);
    expect(new Set(names).size).toBe(names.length);
    expect(wide.serviceNames).toEqual(["palyra.gateway.v1.DiagnosticsService", "palyra.gateway.v1.GatewayService", "palyra.gateway.v1.ModelsService"]);
  });
});
