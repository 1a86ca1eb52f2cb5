import type { StartRun } from "../../../gen/es/palyra/gateway/v1/gateway_pb.js";
import { type RunSpec, underEnvelope } from "../../automation/run-spec.js";
import { runInputFromProto } from "./run-input-from-proto.js";
import { runInputToProto } from "./run-input-to-proto.js";

/** The `input` oneof a job's run and a task share: one prompt, or a RunStream start envelope. */
type ProtoRunInput = { case: "prompt"; value: string } | { case: "envelope"; value: StartRun } | { case: undefined; value?: undefined };

/**
 * What a job tick or a task runs, from its message: the envelope's errors are named under "envelope.",
 * and its agent_id is dropped (the job's or task's own agent decides whose runs they are).
 */
export function runSpecFromProto(message: { input: ProtoRunInput; model: string; maxTokens?: number | undefined }): RunSpec {
  const { input } = message;
  return {
    ...(input.case === "prompt" && { prompt: input.value }),
    ...(input.case === "envelope" && { envelope: envelopeFromProto(input.value) }),
    ...(message.model && { model: message.model }),
    ...(message.maxTokens !== undefined && { maxTokens: message.maxTokens }),
  };
}

/** A stored spec back as its message's fields. */
export function runSpecToProto(spec: RunSpec): { input: ProtoRunInput; model: string; maxTokens?: number } {
  return {
    input: spec.envelope !== undefined ? { case: "envelope", value: runInputToProto(spec.envelope) } : { case: "prompt", value: spec.prompt ?? "" },
    model: spec.model ?? "",
    ...(spec.maxTokens !== undefined && { maxTokens: spec.maxTokens }),
  };
}

function envelopeFromProto(start: StartRun) {
  try {
    const { agentId: _dropped, ...input } = runInputFromProto(start);
    return input;
  } catch (error) {
    throw underEnvelope(error);
  }
}
