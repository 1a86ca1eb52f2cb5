import type { Caller } from "../identity/caller.js";
import type { TranscriptionResult } from "../shared/model-types.js";
import { hashRequest, unaryBudgetQuery } from "./budget-terms.js";
import type { RunContext } from "./run-context.js";
import { validateTranscribeInput } from "./run-input.js";
import { unsupportedBy, withCallerAgent } from "./run-request.js";
import type { TranscribeInput } from "./unary-input.js";
import { runUnary, type UnaryRunResult } from "./unary-run.js";

/** Transcribes one audio file as one recorded run. Aborting `signal` (the caller's) cancels it. */
export async function transcribe(
  context: RunContext,
  rawInput: TranscribeInput,
  caller: Caller,
  signal: AbortSignal,
): Promise<UnaryRunResult<TranscriptionResult>> {
  context.active.checkAccepting();
  const input = withCallerAgent(rawInput, caller);
  validateTranscribeInput(input);
  const resolved = context.deps.registry.resolve(input.model, "audio_transcription");
  const { client } = resolved.provider;
  if (client.transcribe === undefined) throw unsupportedBy(resolved, "audio transcription");
  const transcribeAudio = client.transcribe.bind(client);
  const request = {
    upstreamModel: resolved.model.upstreamModel,
    audio: input.audio,
    fileName: input.fileName,
    mimeType: input.mimeType,
    responseFormat: input.responseFormat,
    ...(input.language && { language: input.language }),
    ...(input.prompt && { prompt: input.prompt }),
    ...(input.temperature !== undefined && { temperature: input.temperature }),
    ...(input.agentId && { agentId: input.agentId }),
  };
  const attribution = { ...input, caller, requestedModel: input.model };
  // Audio is priced per request (and by the tokens the upstream reports); it has no token projection.
  const budget = {
    query: unaryBudgetQuery(attribution, resolved, () => ({ input: 0, output: 0 })),
    requestHash: () => hashRequest("audio_transcription", resolved.model.modelId, input.fileName, input.audio.byteLength, input.language, input.prompt),
  };
  return runUnary(context, { kind: "audio_transcription", resolved, attribution, budget }, signal, async (runSignal) => {
    const result = await transcribeAudio(request, runSignal);
    return { result, usage: result.usage };
  });
}
