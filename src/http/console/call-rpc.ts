import { type DescMessage, type DescMethod, type DescMethodUnary, fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import type { CallOptions, Transport } from "@connectrpc/connect";
import type { Response } from "express";
import { OpenAIRequestError } from "../openai/openai-error.js";

/**
 * Calls one unary RPC in process with a protobuf-JSON request and answers its protobuf-JSON response:
 * the same interceptors (auth, errors) and implementation as a gRPC call. Every field is written, zero
 * values included, so the page never guesses a default. Errors go to the error handler, which answers
 * them through the one error table.
 */
export async function answerRpc(transport: Transport, method: DescMethod, json: unknown, options: CallOptions, res: Response): Promise<void> {
  const unary = method as DescMethodUnary<DescMessage, DescMessage>;
  let input: ReturnType<typeof fromJson<DescMessage>>;
  try {
    input = fromJson(unary.input, (json ?? {}) as JsonValue);
  } catch (error) {
    throw new OpenAIRequestError(`The request is not a valid ${unary.input.typeName} in protobuf JSON: ${(error as Error).message}`, { code: "invalid_json" });
  }
  const response = await transport.unary(unary, options.signal, options.timeoutMs, options.headers, input, options.contextValues);
  res.set("cache-control", "no-store").json(toJson(unary.output, response.message, { alwaysEmitImplicit: true }));
}

/** A signal that aborts when the browser goes away before the answer is written. */
export function signalOf(res: Response): AbortSignal {
  const controller = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}
