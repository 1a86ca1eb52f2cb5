import type { TranscriptionRequest, TranscriptionResult, Usage } from "../../shared/model-types.js";
import { subtitleText } from "./subtitle-text.js";
import { malformedAnswer } from "./wire-error.js";
import type { WireTranscription } from "./wire-types.js";

/** The multipart body of /audio/transcriptions; undici sets the content type with its boundary. */
export function toTranscriptionForm(request: TranscriptionRequest): FormData {
  const form = new FormData();
  form.append("file", new Blob([request.audio], { type: request.mimeType }), request.fileName);
  form.append("model", request.upstreamModel);
  form.append("response_format", request.responseFormat);
  if (request.language !== undefined) form.append("language", request.language);
  if (request.prompt !== undefined) form.append("prompt", request.prompt);
  if (request.temperature !== undefined) form.append("temperature", String(request.temperature));
  return form;
}

/** Reads the answer in the format that was asked for, keeping the upstream's text as it came. */
export function fromTranscriptionBody(body: string, request: TranscriptionRequest, providerId: string): TranscriptionResult {
  switch (request.responseFormat) {
    case "json":
    case "verbose_json":
      return fromJson(body, providerId);
    case "srt":
    case "vtt":
      return { text: subtitleText(body), body };
    case "text":
      // The text format ends with a newline that is no part of what was said.
      return { text: body.trim(), body };
  }
}

function fromJson(body: string, providerId: string): TranscriptionResult {
  let parsed: WireTranscription;
  try {
    parsed = JSON.parse(body) as WireTranscription;
  } catch {
    throw malformedAnswer(providerId, "the transcription answer is not valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || typeof parsed.text !== "string") {
    throw malformedAnswer(providerId, "the transcription answer has no text");
  }
  const usage = parsed.usage;
  // Token-priced models report tokens; duration-priced ones (whisper-1) report seconds.
  const tokens: Usage | undefined =
    usage?.type === "tokens"
      ? { inputTokens: count(usage.input_tokens), outputTokens: count(usage.output_tokens), cachedInputTokens: 0, cacheWriteTokens: 0, estimated: false }
      : undefined;
  const duration = seconds(parsed.duration) ?? (usage?.type === "duration" ? seconds(usage.seconds) : undefined);
  return {
    text: parsed.text,
    body,
    ...(duration !== undefined && { durationSeconds: duration }),
    ...(tokens !== undefined && { usage: tokens }),
  };
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.round(value) : 0;
}

function seconds(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}
