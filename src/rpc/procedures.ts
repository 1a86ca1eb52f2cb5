import type { DescMethod } from "@bufbuild/protobuf";
import type { ConnectRouter, HandlerContext } from "@connectrpc/connect";

/** One procedure's implementation, as registered on a router (unary, streaming or bidi by its method). */
export interface Procedure {
  method: DescMethod;
  impl: (input: unknown, context: HandlerContext) => unknown;
}

/**
 * The procedures a routes function registers, by method: what the in-process transport calls. Reads
 * them through a recording router, so routes.ts stays the one place that says what is served.
 */
export function collectProcedures(routes: (router: ConnectRouter) => void): Map<DescMethod, Procedure> {
  const procedures = new Map<DescMethod, Procedure>();
  const recorder: ConnectRouter = {
    handlers: [],
    service(service, implementation) {
      for (const method of service.methods) {
        const impl = (implementation as Record<string, unknown>)[method.localName];
        if (typeof impl === "function") procedures.set(method, { method, impl: impl.bind(implementation) as Procedure["impl"] });
      }
      return recorder;
    },
    rpc(method, impl) {
      procedures.set(method, { method, impl: impl as Procedure["impl"] });
      return recorder;
    },
  };
  routes(recorder);
  return procedures;
}
