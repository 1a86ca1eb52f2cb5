import { performance } from "node:perf_hooks";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Role } from "../gen/es/palyra/gateway/v1/common_pb.js";
import { GatewayService, type RunStreamRequestSchema } from "../gen/es/palyra/gateway/v1/gateway_pb.js";
import type { Operation, Timing } from "./load.js";

export interface RunTiming extends Timing {
  /** From the call to the first output delta. */
  firstDeltaMs: number;
  /** Events received, the terminal one included. */
  events: number;
}

/**
 * A Connect client speaking gRPC over one HTTP/2 connection to the daemon. (connect-node 2.x's gRPC
 * transport is always HTTP/2 and its options type has no `httpVersion` field.)
 */
export function gatewayClient(grpcAddress: string): Client<typeof GatewayService> {
  return createClient(GatewayService, createGrpcTransport({ baseUrl: `http://${grpcAddress}` }));
}

/** One RunStream: a single start request, then every event to the end; only `completed` is success. */
export function runStreamOnce(client: Client<typeof GatewayService>, token: string, model: string, text: string): Operation<RunTiming> {
  const start: MessageInitShape<typeof RunStreamRequestSchema> = {
    action: { case: "start", value: { model, messages: [{ role: Role.USER, parts: [{ part: { case: "text", value: text } }] }] } },
  };
  const headers = { authorization: `Bearer ${token}` };
  return async () => {
    const started = performance.now();
    let firstDeltaMs = -1;
    let events = 0;
    let terminal = "";
    for await (const response of client.runStream(single(start), { headers })) {
      events++;
      const event = response.event;
      if (event.case === "delta" && firstDeltaMs < 0) firstDeltaMs = performance.now() - started;
      if (event.case === "completed" || event.case === "failed" || event.case === "cancelled") terminal = event.case;
      if (event.case === "failed") throw new Error(`run failed: ${event.value.message}`);
    }
    const totalMs = performance.now() - started;
    if (terminal !== "completed") throw new Error(`the run stream ended with ${terminal === "" ? "no terminal event" : terminal}`);
    return { totalMs, firstDeltaMs, events };
  };
}

async function* single<T>(message: T): AsyncIterable<T> {
  yield message;
}
