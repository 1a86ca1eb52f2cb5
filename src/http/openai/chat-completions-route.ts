import { create } from "@bufbuild/protobuf";
import type { RequestHandler, Response } from "express";
import { ErrorKind } from "../../../gen/es/palyra/gateway/v1/common_pb.js";
import type { RoutingDecision, RunAccepted, RunStreamRequest, RunStreamResponse, StartRun } from "../../../gen/es/palyra/gateway/v1/gateway_pb.js";
import { RunStreamRequestSchema } from "../../../gen/es/palyra/gateway/v1/gateway_pb.js";
import { rpcCallOptions } from "../require-credential.js";
import type { RpcClients } from "../rpc-clients.js";
import { SseWriter } from "../sse-writer.js";
import { parseChatRequest, toStartRun } from "./chat-request.js";
import { type CompletionIdentity, chatCompletion, completionId, deltaChunk, finishChunk, usageChunk } from "./chat-response.js";
import { fromErrorDetail, type OpenAIErrorResponse, sendOpenAIError, toOpenAIError } from "./openai-error.js";
import { costHeader, costHeaderName, runHeaders } from "./palyra-headers.js";

type RunEventCase = RunStreamResponse["event"];

/** POST /v1/chat/completions: one RunStream call per request, answered as JSON or as SSE. */
export function chatCompletionsRoute(clients: RpcClients): RequestHandler {
  return async (req, res) => {
    const request = parseChatRequest(req.body);
    const start = toStartRun(request, {
      agentId: req.get("x-palyra-agent-id"),
      sessionId: req.get("x-palyra-session-id"),
      clientRequestId: req.get("x-request-id"),
      disableFailover: /^(off|false|0|no)$/i.test(req.get("x-palyra-failover") ?? ""),
      bypassCache: /\bno-(cache|store)\b/i.test(req.get("cache-control") ?? ""),
      routingMode: req.get("x-palyra-routing-mode"),
      approvalId: req.get("x-palyra-approval-id"),
    });
    // A client that disconnects cancels its run (the RPC's signal reaches the run engine).
    const disconnected = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) disconnected.abort();
    });
    const events = clients.gateway.runStream(startOnly(start), rpcCallOptions(req, disconnected.signal))[Symbol.asyncIterator]();

    // Nothing is sent until the run commits to a model (the routing event, after the upstream's first
    // chunk): until then failover may still change it, and errors keep their HTTP status.
    let committed: Commit;
    try {
      committed = await awaitCommit(events);
    } catch (error) {
      const refusal = toOpenAIError(error);
      // The gateway's own failures go to the app's error handler, which logs them.
      if (refusal.status >= 500) throw error;
      return sendOpenAIError(res, inOpenAITerms(refusal));
    }
    if ("failure" in committed) return sendOpenAIError(res, committed.failure);
    const { runId, accepted, routing } = committed;
    const identity: CompletionIdentity = {
      id: completionId(runId),
      created: accepted?.createdAt === undefined ? Math.floor(Date.now() / 1000) : Number(accepted.createdAt.seconds),
      model: routing.selectedModel,
    };
    const headers = {
      ...runHeaders(runId, routing.selectedModel, routing.providerId),
      "x-palyra-attempts": String(routing.attempts),
      "x-palyra-cache": routing.cacheHit ? "hit" : "miss",
      ...(routing.routingMode && {
        "x-palyra-routing-mode": routing.routingMode,
        "x-palyra-recommended-model": routing.recommendedModel,
        "x-palyra-complexity": routing.complexity.toFixed(3),
      }),
    };

    if (request.stream) {
      await streamCompletion(res, events, identity, headers, request.stream_options?.include_usage === true, disconnected.signal);
    } else {
      await answerCompletion(res, events, identity, headers);
    }
  };
}

type Commit = { runId: string; accepted: RunAccepted | undefined; routing: RoutingDecision } | { failure: OpenAIErrorResponse };

/** Reads events up to the routing decision (the commit), or to the failure that came first. */
async function awaitCommit(events: AsyncIterator<RunStreamResponse>): Promise<Commit> {
  let accepted: RunAccepted | undefined;
  for (let next = await events.next(); !next.done; next = await events.next()) {
    const { runId, event } = next.value;
    if (event.case === "accepted") accepted = event.value;
    if (event.case === "routing") return { runId, accepted, routing: event.value };
    const failure = terminalFailure(event, runId);
    if (failure !== undefined) return { failure };
  }
  throw new Error("the run stream ended before it chose a model");
}

async function answerCompletion(
  res: Response,
  events: AsyncIterator<RunStreamResponse>,
  identity: CompletionIdentity,
  headers: Record<string, string>,
): Promise<void> {
  for (let next = await events.next(); !next.done; next = await events.next()) {
    const event = next.value.event;
    if (event.case === "completed") {
      // Only a non-streamed answer can carry its cost in a header: a stream's headers go out first.
      res.set({ ...headers, ...costHeader(event.value.costUsd) }).json(chatCompletion(identity, event.value));
      return;
    }
    const failure = terminalFailure(event, next.value.runId);
    if (failure !== undefined) {
      sendOpenAIError(res.set(headers), failure);
      return;
    }
  }
  throw new Error("the run stream ended without a terminal event");
}

async function streamCompletion(
  res: Response,
  events: AsyncIterator<RunStreamResponse>,
  identity: CompletionIdentity,
  headers: Record<string, string>,
  includeUsage: boolean,
  signal: AbortSignal,
): Promise<void> {
  const sse = new SseWriter(res, signal);
  // The cost is known only at the end: it follows the stream as a trailer (and in the usage chunk).
  sse.start({ ...headers, trailer: costHeaderName });
  let firstDelta = true;
  try {
    for (let next = await events.next(); !next.done; next = await events.next()) {
      const event = next.value.event;
      if (event.case === "delta") {
        await sse.data(deltaChunk(identity, event.value, firstDelta));
        firstDelta = false;
      } else if (event.case === "completed") {
        await sse.data(finishChunk(identity, event.value));
        if (includeUsage) await sse.data(usageChunk(identity, event.value));
        await sse.data("[DONE]");
        sse.trailers(costHeader(event.value.costUsd));
        return;
      } else {
        const failure = terminalFailure(event, next.value.runId);
        // OpenAI's SDKs raise an APIError for a data frame that carries "error".
        if (failure !== undefined) return await sse.data(failure.body);
      }
    }
  } catch (error) {
    if (!signal.aborted) await sse.data(toOpenAIError(error).body);
  } finally {
    sse.end();
  }
}

/** The error a failed or cancelled run answers with; undefined for non-terminal events. */
function terminalFailure(event: RunEventCase, runId: string): OpenAIErrorResponse | undefined {
  if (event.case === "failed") {
    const { detail } = event.value;
    return fromErrorDetail(event.value.message, { ...detail, kind: event.value.kind, runId });
  }
  if (event.case === "cancelled") {
    return fromErrorDetail(`The run was cancelled: ${event.value.reason}`, { kind: ErrorKind.CANCELLED, code: "run_cancelled", runId });
  }
  return undefined;
}

/** Fields the core names by their RPC name that an OpenAI request names otherwise. */
const openAIParams: Record<string, string> = { user_id: "user" };

/** A refused start, with the field at fault named as the /v1 caller named it. */
function inOpenAITerms(refusal: OpenAIErrorResponse): OpenAIErrorResponse {
  const { param } = refusal.body.error;
  if (param === null || openAIParams[param] === undefined) return refusal;
  return { ...refusal, body: { error: { ...refusal.body.error, param: openAIParams[param] } } };
}

async function* startOnly(start: StartRun): AsyncIterable<RunStreamRequest> {
  yield create(RunStreamRequestSchema, { action: { case: "start", value: start } });
}
