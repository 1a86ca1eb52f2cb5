import type { ErrorRequestHandler, RequestHandler } from "express";
import multer from "multer";
import { z } from "zod";
import { TranscriptionFormat } from "../../../gen/es/palyra/gateway/v1/gateway_pb.js";
import { clip } from "../../shared/clip.js";
import { rpcCallOptions } from "../require-credential.js";
import type { RpcClients } from "../rpc-clients.js";
import { OpenAIRequestError } from "./openai-error.js";
import { costHeader, runHeaders } from "./palyra-headers.js";
import { parseOpenAIBody } from "./parse-body.js";

/** OpenAI's own limit on audio uploads. */
const maxAudioBytes = 25 * 1024 * 1024;

const formats = {
  json: TranscriptionFormat.JSON,
  text: TranscriptionFormat.TEXT,
  srt: TranscriptionFormat.SRT,
  verbose_json: TranscriptionFormat.VERBOSE_JSON,
  vtt: TranscriptionFormat.VTT,
} as const;

const transcriptionFieldsSchema = z.object({
  model: z.string().optional(),
  language: z.string().optional(),
  prompt: z.string().optional(),
  response_format: z.enum(Object.keys(formats) as [keyof typeof formats]).optional(),
  temperature: z.coerce.number().min(0).max(1).optional(),
});

/** Multipart parsing for the audio upload, held in memory (it goes on to the upstream whole). */
export const transcriptionUpload: RequestHandler = multer({
  storage: multer.memoryStorage(),
  limits: { fileSize: maxAudioBytes, files: 1, fields: 20, parts: 30, fieldSize: 64 * 1024 },
}).single("file");

/**
 * The upload's errors, answered in OpenAI's shape: multer's limits, and the multipart parser's own
 * complaints (no boundary, a truncated body, a malformed part header), which are the caller's to fix.
 */
export const transcriptionUploadErrors: ErrorRequestHandler = (error, _req, _res, next) => {
  if (error instanceof OpenAIRequestError) return next(error);
  if (error instanceof multer.MulterError && error.code === "LIMIT_FILE_SIZE") {
    return next(
      new OpenAIRequestError(`The audio file is larger than ${maxAudioBytes / 1024 / 1024} MB`, { param: "file", status: 413, code: "file_too_large" }),
    );
  }
  const field = error instanceof multer.MulterError ? (error.field ?? "file") : "file";
  const message = error instanceof Error ? error.message : String(error);
  next(new OpenAIRequestError(`Invalid multipart upload: ${clip(message, 200)}`, { param: clip(field, 64), code: "invalid_multipart" }));
};

/** POST /v1/audio/transcriptions (multipart), through GatewayService.Transcribe. */
export function transcriptionsRoute(clients: RpcClients): RequestHandler {
  return async (req, res) => {
    if (!req.is("multipart/form-data")) throw new OpenAIRequestError("Send the audio as multipart/form-data with a 'file' field", { param: "file" });
    const fields = parseOpenAIBody(transcriptionFieldsSchema, req.body ?? {});
    const file = req.file;
    if (file === undefined) throw new OpenAIRequestError("A 'file' field with the audio is required", { param: "file" });
    const format = fields.response_format ?? "json";
    const response = await clients.gateway.transcribe(
      {
        model: fields.model ?? "",
        audio: file.buffer,
        fileName: file.originalname || "audio",
        mimeType: file.mimetype,
        language: fields.language ?? "",
        prompt: fields.prompt ?? "",
        responseFormat: formats[format],
        ...(fields.temperature !== undefined && { temperature: fields.temperature }),
        agentId: req.get("x-palyra-agent-id") ?? "",
        sessionId: req.get("x-palyra-session-id") ?? "",
        clientRequestId: req.get("x-request-id") ?? "",
      },
      rpcCallOptions(req),
    );
    res.set({ ...runHeaders(response.runId, response.modelId, response.providerId), ...costHeader(response.costUsd) });
    if (format === "json" || format === "verbose_json") {
      res.type("application/json").send(response.body || JSON.stringify({ text: response.text }));
    } else {
      res.type("text/plain; charset=utf-8").send(response.body || response.text);
    }
  };
}
