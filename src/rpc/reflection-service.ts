import { create, createFileRegistry, type DescFile, type FileRegistry, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Code, type ConnectRouter } from "@connectrpc/connect";
import { ServerReflection as ServerReflectionV1 } from "../../gen/es/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1alpha } from "../../gen/es/grpc/reflection/v1alpha/reflection_pb.js";

// gRPC server reflection (grpc.reflection.v1 and v1alpha), so grpcurl and buf curl can call the API
// without the proto files. The two versions are wire-identical, so the core below works on the shape
// both generated request types share and each version's handler only echoes its own request.

/** The request fields shared by v1 and v1alpha ServerReflectionRequest. */
export interface ReflectionRequest {
  host: string;
  messageRequest:
    | {
        case: "fileByFilename" | "fileContainingSymbol" | "allExtensionNumbersOfType" | "listServices";
        value: string;
      }
    | { case: "fileContainingExtension"; value: { containingType: string; extensionNumber: number } }
    | { case: undefined; value?: undefined };
}

/** The `message_response` oneof shared by v1 and v1alpha ServerReflectionResponse. */
export type ReflectionAnswer =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

/** Everything reflection can describe: the given files, their imports, and the services to list. */
export interface ReflectionIndex {
  readonly registry: FileRegistry;
  /** Full names of the services declared in the given files (not in their imports), sorted. */
  readonly serviceNames: readonly string[];
}

/** Builds the index over the given files and, transitively, everything they import. */
export function createReflectionIndex(files: Iterable<DescFile>): ReflectionIndex {
  const roots = [...files];
  const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: dependencyOrder(roots).map((file) => file.proto) }));
  const serviceNames = new Set(roots.flatMap((file) => file.services.map((service) => service.typeName)));
  return { registry, serviceNames: [...serviceNames].sort() };
}

/** Files with each import before its importers, each once (a FileDescriptorSet must be in this order). */
function dependencyOrder(roots: readonly DescFile[]): DescFile[] {
  const seen = new Set<string>();
  const ordered: DescFile[] = [];
  const visit = (file: DescFile): void => {
    if (seen.has(file.proto.name)) return;
    seen.add(file.proto.name);
    file.dependencies.forEach(visit);
    ordered.push(file);
  };
  roots.forEach(visit);
  return ordered;
}

/** Answers one reflection request; failures are error answers, since the stream must carry on. */
export function answerReflection(index: ReflectionIndex, request: ReflectionRequest["messageRequest"]): ReflectionAnswer {
  const { registry } = index;
  switch (request.case) {
    case "listServices":
      return {
        case: "listServicesResponse",
        value: { service: index.serviceNames.map((name) => ({ name })) },
      };
    case "fileByFilename":
      return fileAnswer(registry.getFile(request.value), `file "${request.value}" not found`);
    case "fileContainingSymbol":
      return fileAnswer(fileContainingSymbol(registry, request.value), `symbol "${request.value}" not found`);
    case "fileContainingExtension": {
      const { containingType, extensionNumber } = request.value;
      const extendee = registry.getMessage(containingType);
      const extension = extendee && registry.getExtensionFor(extendee, extensionNumber);
      return fileAnswer(extension?.file, `extension ${extensionNumber} of "${containingType}" not found`);
    }
    case "allExtensionNumbersOfType": {
      const typeName = request.value;
      if (!registry.getMessage(typeName)) return notFound(`type "${typeName}" not found`);
      const extensionNumber: number[] = [];
      for (const desc of registry) {
        if (desc.kind === "extension" && desc.extendee.typeName === typeName) {
          extensionNumber.push(desc.number);
        }
      }
      return {
        case: "allExtensionNumbersResponse",
        value: { baseTypeName: typeName, extensionNumber: extensionNumber.sort((a, b) => a - b) },
      };
    }
    case undefined:
      return errorAnswer(Code.InvalidArgument, "the request names no message_request");
  }
}

/**
 * The file declaring a fully-qualified symbol: a message, enum, service or extension, or a member
 * of one (`pkg.Service.Method`, `pkg.Message.field`), the forms grpcurl and buf curl ask for.
 */
export function fileContainingSymbol(registry: FileRegistry, symbol: string): DescFile | undefined {
  const desc = registry.get(symbol);
  if (desc) return desc.file;
  const dot = symbol.lastIndexOf(".");
  const parent = dot > 0 ? registry.get(symbol.slice(0, dot)) : undefined;
  const member = symbol.slice(dot + 1);
  switch (parent?.kind) {
    case "service":
      return parent.methods.some((method) => method.name === member) ? parent.file : undefined;
    case "message":
      return parent.fields.some((field) => field.name === member) || parent.oneofs.some((oneof) => oneof.name === member) ? parent.file : undefined;
    default:
      return undefined;
  }
}

/** The file and all it imports, transitively and once each, the requested file first. */
function fileAnswer(file: DescFile | undefined, notFoundMessage: string): ReflectionAnswer {
  if (!file) return notFound(notFoundMessage);
  const [requested, ...imports] = dependencyOrder([file]).reverse();
  const fileDescriptorProto = [requested ?? file, ...imports].map((f) => toBinary(FileDescriptorProtoSchema, f.proto));
  return { case: "fileDescriptorResponse", value: { fileDescriptorProto } };
}

function notFound(message: string): ReflectionAnswer {
  return errorAnswer(Code.NotFound, message);
}

// Connect's Code values are the gRPC status codes, which is what error_code carries.
function errorAnswer(errorCode: Code, errorMessage: string): ReflectionAnswer {
  return { case: "errorResponse", value: { errorCode, errorMessage } };
}

/**
 * Registers grpc.reflection.v1 and v1alpha on the router. Reflection describes the given files plus
 * every service the router serves, read when the first reflection request arrives, so services
 * registered after this call (Health, the API) are listed too.
 */
export function registerReflection(router: ConnectRouter, files: readonly DescFile[] = []): ConnectRouter {
  let index: ReflectionIndex | undefined;
  const currentIndex = (): ReflectionIndex => (index ??= createReflectionIndex([...files, ...router.handlers.map((handler) => handler.service.file)]));

  async function* serverReflectionInfo<Request extends ReflectionRequest>(requests: AsyncIterable<Request>) {
    for await (const request of requests) {
      yield {
        validHost: request.host,
        originalRequest: request,
        messageResponse: answerReflection(currentIndex(), request.messageRequest),
      };
    }
  }

  // Reflection requests name a symbol or file; anyone may call it, so its messages stay small.
  const options = { readMaxBytes: 64 * 1024 };
  return router.service(ServerReflectionV1, { serverReflectionInfo }, options).service(ServerReflectionV1alpha, { serverReflectionInfo }, options);
}
