import type { Interceptor, StreamResponse } from "@connectrpc/connect";
import type { AccessControl } from "../identity/access.js";
import { callerKey } from "./caller-context.js";
import { toConnectError } from "./error-mapping.js";

/** Procedures anyone may call: liveness probes and the schema (which holds no data). */
const publicServices = new Set(["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"]);
const publicProcedures = new Set(["/palyra.gateway.v1.GatewayService/GetHealth"]);

/** Turns core errors, thrown before or during a response stream, into ConnectErrors. */
export const errorMappingInterceptor: Interceptor = (next) => async (req) => {
  try {
    const res = await next(req);
    return res.stream ? { ...res, message: mapStreamErrors(res.message) } : res;
  } catch (error) {
    throw toConnectError(error);
  }
};

async function* mapStreamErrors(messages: StreamResponse["message"]): StreamResponse["message"] {
  try {
    yield* messages;
  } catch (error) {
    throw toConnectError(error);
  }
}

/** Requires a valid bearer credential on every non-public procedure and records the caller. */
export function authInterceptor(access: AccessControl): Interceptor {
  return (next) => async (req) => {
    if (publicServices.has(req.service.typeName) || publicProcedures.has(`/${req.service.typeName}/${req.method.name}`)) {
      return next(req);
    }
    req.contextValues.set(callerKey, access.authenticate(req.header.get("authorization")));
    return next(req);
  };
}
