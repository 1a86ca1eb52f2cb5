import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor, type StreamResponse } from "@connectrpc/connect";

/** Where RPC calls are counted (diagnostics/metrics' RequestMetrics). */
export interface RpcCallCounter {
  rpcRequest(procedure: string, code: string): void;
}

/** gRPC code names as labels: "ok", "unauthenticated", "resource_exhausted", … (made once). */
const codeNames = new Map<Code, string>(
  Object.entries(Code)
    .filter((entry): entry is [string, Code] => typeof entry[1] === "number")
    .map(([name, code]) => [code, name.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase()]),
);
const ok = "ok";

/** "palyra.gateway.v1.GatewayService/StartRun", made once per method. */
const procedureNames = new WeakMap<DescMethod, string>();
function procedureOf(method: DescMethod): string {
  let name = procedureNames.get(method);
  if (name === undefined) {
    name = `${method.parent.typeName}/${method.name}`;
    procedureNames.set(method, name);
  }
  return name;
}

function codeOf(error: unknown): string {
  return codeNames.get(ConnectError.from(error).code) ?? "unknown";
}

/**
 * Counts every RPC call by procedure and the code it ended with; outermost, so it sees the code
 * the caller sees. A stream is counted when it ends (its error, or ok). Procedures are the served
 * ones (unknown paths never reach interceptors), so the series are bounded.
 */
export function metricsInterceptor(counter: RpcCallCounter): Interceptor {
  return (next) => async (req) => {
    const procedure = procedureOf(req.method);
    let res: Awaited<ReturnType<typeof next>>;
    try {
      res = await next(req);
    } catch (error) {
      counter.rpcRequest(procedure, codeOf(error));
      throw error;
    }
    if (!res.stream) {
      counter.rpcRequest(procedure, ok);
      return res;
    }
    return { ...res, message: countedStream(res.message, procedure, counter) };
  };
}

async function* countedStream(messages: StreamResponse["message"], procedure: string, counter: RpcCallCounter): StreamResponse["message"] {
  let code = ok;
  try {
    yield* messages;
  } catch (error) {
    code = codeOf(error);
    throw error;
  } finally {
    // A consumer that stopped early (the caller went away) ends the stream here without an error.
    counter.rpcRequest(procedure, code);
  }
}
