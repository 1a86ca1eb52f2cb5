import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  type EmbedRequest,
  type EmbedResponseSchema,
  TranscriptionFormat as ProtoTranscriptionFormat,
  type TranscribeRequest,
  type TranscribeResponseSchema,
} from "../../../gen/es/palyra/gateway/v1/gateway_pb.js";
import type { UnaryRunResult } from "../../runs/run-engine.js";
import type { EmbedInput, TranscribeInput } from "../../runs/unary-input.js";
import { invalidRequest } from "../../shared/errors.js";
import type { EmbeddingsResult, TranscriptionFormat, TranscriptionResult } from "../../shared/model-types.js";
import { usageToProto } from "./run-event-to-proto.js";

const formats: Record<TranscriptionFormat, ProtoTranscriptionFormat> = {
  json: ProtoTranscriptionFormat.JSON,
  text: ProtoTranscriptionFormat.TEXT,
  srt: ProtoTranscriptionFormat.SRT,
  verbose_json: ProtoTranscriptionFormat.VERBOSE_JSON,
  vtt: ProtoTranscriptionFormat.VTT,
};

const attribution = (request: EmbedRequest | TranscribeRequest) => ({
  ...(request.model && { model: request.model }),
  ...(request.agentId && { agentId: request.agentId }),
  ...(request.sessionId && { sessionId: request.sessionId }),
  ...(request.userId && { userId: request.userId }),
  ...(request.clientRequestId && { clientRequestId: request.clientRequestId }),
});

export function embedInputFromProto(request: EmbedRequest): EmbedInput {
  return { ...attribution(request), inputs: request.inputs, ...(request.dimensions !== undefined && { dimensions: request.dimensions }) };
}

export function embedResponseToProto({ runId, resolved, result, cost }: UnaryRunResult<EmbeddingsResult>): MessageInitShape<typeof EmbedResponseSchema> {
  return {
    runId,
    modelId: resolved.model.modelId,
    providerId: resolved.provider.providerId,
    embeddings: result.vectors.map((values) => ({ values })),
    usage: usageToProto(result.usage),
    costUsd: cost.costUsd,
  };
}

export function transcribeInputFromProto(request: TranscribeRequest): TranscribeInput {
  const format = request.responseFormat === ProtoTranscriptionFormat.UNSPECIFIED ? "json" : formatFromProto(request.responseFormat);
  return {
    ...attribution(request),
    audio: request.audio,
    fileName: request.fileName || "audio",
    mimeType: request.mimeType || "application/octet-stream",
    responseFormat: format,
    ...(request.language && { language: request.language }),
    ...(request.prompt && { prompt: request.prompt }),
    ...(request.temperature !== undefined && { temperature: request.temperature }),
  };
}

export function transcribeResponseToProto(
  { runId, resolved, result, cost }: UnaryRunResult<TranscriptionResult>,
  format: TranscriptionFormat,
): MessageInitShape<typeof TranscribeResponseSchema> {
  return {
    runId,
    modelId: resolved.model.modelId,
    providerId: resolved.provider.providerId,
    text: result.text,
    body: result.body,
    responseFormat: formats[format],
    durationSeconds: result.durationSeconds ?? 0,
    costUsd: cost.costUsd,
    ...(result.usage !== undefined && { usage: usageToProto(result.usage) }),
  };
}

function formatFromProto(format: ProtoTranscriptionFormat): TranscriptionFormat {
  const found = (Object.keys(formats) as TranscriptionFormat[]).find((key) => formats[key] === format);
  if (found === undefined) throw invalidRequest("response_format", `unknown format ${format}`);
  return found;
}
