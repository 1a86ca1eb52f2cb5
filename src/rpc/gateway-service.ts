import { ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { RunStatus as ProtoRunStatus } from "../../gen/es/palyra/gateway/v1/common_pb.js";
import type { GatewayService, RunStreamRequest } from "../../gen/es/palyra/gateway/v1/gateway_pb.js";
import type { RunEngine, RunHandle } from "../runs/run-engine.js";
import { invalidRequest } from "../shared/errors.js";
import { gatewayVersion } from "../shared/version.js";
import type { RunStatus } from "../store/tables.js";
import { requireCaller } from "./caller-context.js";
import { runEventToProto } from "./convert/run-event-to-proto.js";
import { runInputFromProto } from "./convert/run-input-from-proto.js";
import { embedInputFromProto, embedResponseToProto, transcribeInputFromProto, transcribeResponseToProto } from "./convert/unary-runs-proto.js";
import { reclassifyDecodeFailure } from "./error-mapping.js";

export interface GatewayServiceDeps {
  engine: RunEngine;
  startedAt: number;
}

const runStatuses: Record<RunStatus, ProtoRunStatus> = {
  running: ProtoRunStatus.RUNNING,
  succeeded: ProtoRunStatus.SUCCEEDED,
  failed: ProtoRunStatus.FAILED,
  cancelled: ProtoRunStatus.CANCELLED,
};

export function createGatewayService(deps: GatewayServiceDeps): ServiceImpl<typeof GatewayService> {
  return {
    async *runStream(requests: AsyncIterable<RunStreamRequest>, context: HandlerContext) {
      const caller = requireCaller(context);
      const followUps = requests[Symbol.asyncIterator]();
      const first = await followUps.next();
      if (first.done) throw invalidRequest("start", "the stream ended before a start request");
      if (first.value.action.case !== "start") throw invalidRequest("action", "the first request must be a start request");

      const handle = await deps.engine.start(runInputFromProto(first.value.action.value), caller);
      // A follow-up the protocol does not allow ends the call with INVALID_ARGUMENT; the run is cancelled and recorded.
      let violation: Error | undefined;
      void applyFollowUps(followUps, handle, (error) => {
        violation ??= error;
        handle.detach(error.message);
      });
      // A client that goes away cancels its run; the run still records how it ended.
      const onClientGone = () => handle.detach("the client disconnected");
      context.signal.addEventListener("abort", onClientGone, { once: true });
      let sequence = 0n;
      let ended = false;
      try {
        for await (const event of handle.events) {
          ended = event.type === "completed" || event.type === "failed" || event.type === "cancelled";
          yield { runId: handle.runId, sequence: ++sequence, event: runEventToProto(event, handle.runId) };
        }
      } finally {
        context.signal.removeEventListener("abort", onClientGone);
        if (!ended) handle.detach("the response stream closed");
      }
      if (violation !== undefined) throw violation;
    },

    async abortRun(request, context) {
      if (!request.runId) throw invalidRequest("run_id", "is required");
      const result = await deps.engine.abort(request.runId, request.reason || "aborted by AbortRun", requireCaller(context));
      return { aborted: result.aborted, status: runStatuses[result.status] };
    },

    async embed(request, context) {
      const result = await deps.engine.embed(embedInputFromProto(request), requireCaller(context), context.signal);
      return embedResponseToProto(result);
    },

    async transcribe(request, context) {
      const input = transcribeInputFromProto(request);
      const result = await deps.engine.transcribe(input, requireCaller(context), context.signal);
      return transcribeResponseToProto(result, input.responseFormat);
    },

    getHealth() {
      return { status: "ok", version: gatewayVersion, uptimeSeconds: (Date.now() - deps.startedAt) / 1000, reasons: [] };
    },
  };
}

/**
 * Requests after the first may cancel the run (more cancels change nothing). Anything else breaks the
 * protocol: a second start, or a tool approval when none was asked for, is reported once, not logged
 * per message, so a client cannot flood the log.
 */
async function applyFollowUps(requests: AsyncIterator<RunStreamRequest>, handle: RunHandle, violated: (error: Error) => void): Promise<void> {
  try {
    for (let next = await requests.next(); !next.done; next = await requests.next()) {
      const action = next.value.action;
      if (action.case === "cancel") {
        handle.cancel(action.value.reason || "cancelled by the client");
      } else if (action.case === "start") {
        return violated(invalidRequest("start", "a RunStream carries one start request, first; a second one cancels the run"));
      } else if (action.case === "toolApproval") {
        return violated(invalidRequest("tool_approval", "no tool approval is pending on this run"));
      } else {
        return violated(invalidRequest("action", "a request after the start must be a cancel"));
      }
    }
  } catch (error) {
    // A request that does not decode is the caller's mistake; anything else means the client's half of
    // the stream broke, and the abort signal handles the run.
    const undecodable = error instanceof ConnectError ? reclassifyDecodeFailure(error) : undefined;
    if (undecodable !== undefined) violated(undecodable);
  }
}
